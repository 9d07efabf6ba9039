"""Two machines, one queue: workers on two hosts (network namespaces with their own network
stack, made by the test with `ip netns`) consume one Redis queue and record into one
PostgreSQL database, both reached over the hosts' links, not over 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tests.runner.netns import Hosts, netns_available
from tests.runner.workers import Config

from marketloop.runner import service
from marketloop.runner.loopfile import parse_loop
from marketloop.runner.store import Store


@pytest.mark.redis
@pytest.mark.postgres
def test_workers_on_two_hosts_share_one_queue(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    netns_available()
    with Hosts(2) as hosts:
        redis, pg = urlsplit(redis_url), urlsplit(postgres_url)
        redis_at = hosts.expose(redis.hostname or "127.0.0.1", redis.port or 6379)
        pg_at = hosts.expose(pg.hostname or "127.0.0.1", pg.port or 5432)
        # the hosts cannot reach this machine's 127.0.0.1: only the links
        probe = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2)"
        assert hosts.run(0, [sys.executable, "-c", probe, "127.0.0.1", str(redis.port)]).returncode
        reached = hosts.run(1, [sys.executable, "-c", probe, redis_at[0], str(redis_at[1])])
        assert reached.returncode == 0, reached.stderr
        configs = [
            Config(
                tmp_path / f"host{i}",  # each host its own disk
                app_db_url=f"postgresql://postgres@{pg_at[0]}:{pg_at[1]}{pg.path}",
                queue=f"redis://{redis_at[0]}:{redis_at[1]}{redis.path}",
            )
            for i in range(2)
        ]
        procs = []
        try:
            for i, config in enumerate(configs):
                config.workspace.mkdir(parents=True)
                command = [sys.executable, "-m", "marketloop", "worker", "--threads", "1"]
                with (tmp_path / f"worker{i}.log").open("wb") as log:
                    procs.append(hosts.popen(i, command, env=config.env(), stdout=log, stderr=log))
                config.procs.append(procs[-1])
            # this machine starts the run on the real addresses; the hosts run it
            here = Config(tmp_path / "here", app_db_url=postgres_url, queue=redis_url)
            steps = "".join(f"  s{i}: {{action: noop, with: {{seconds: 0.4}}}}\n" for i in range(8))
            run = service.start_run(here.settings(), parse_loop("name: wide\nsteps:\n" + steps))
            done = service.wait_run(here.settings(), run.run_id, timeout=90)
            logs = [(tmp_path / f"worker{i}.log").read_text(errors="replace") for i in range(2)]
            assert done.status == "succeeded", (done, logs)
            workers = {row.worker for row in Store(postgres_url).steps(run.run_id)}
            pids = {str(proc.pid) for proc in procs}
            assert {w.rsplit(":", 1)[1] for w in workers if w} == pids, (workers, pids)
        finally:
            for config in configs:
                config.stop_all()
