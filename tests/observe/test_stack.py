"""The staging stack end to end (`marketloop stack`): a loop runs, Prometheus scrapes the app
and the worker; the worker stops, LoopStale fires, Alertmanager routes it to PagerDuty (a
minimal Events v2 receiver here); the worker comes back, the alert resolves. Loopback only,
every wait bounded; short intervals from a test-only rules file (`for: 0s`, 1 s evaluation)."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from marketloop.config import load_settings
from marketloop.observe import stack
from marketloop.observe.cli_stack import wait_for
from marketloop.runner import service
from marketloop.runner.loopfile import load_loop

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(480)]
LOOP = "name: heartbeat\nschedule: {cron: '* * * * *'}\nsteps:\n  beat: {action: noop}\n"


class PagerDuty:
    """Accepts Events API v2 enqueues (POST /v2/enqueue) as PagerDuty does: 202 and a dedup key."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/v2/enqueue":
                    self.send_response(404)
                    self.end_headers()
                    return
                event = json.loads(body)
                outer.events.append(event)
                answer = {"status": "success", "message": "Event processed",
                          "dedup_key": event.get("dedup_key")}  # fmt: skip
                data = json.dumps(answer).encode()
                self.send_response(202)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2/enqueue"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def actions(self, alert: str) -> list[str]:
        return [e["event_action"] for e in self.events if alert in e["payload"]["summary"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    pytest.fail(f"not within {seconds:.0f} s: {what}")


def query(port: int, promql: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as response:
        result: list[dict[str, Any]] = json.loads(response.read())["data"]["result"]
    return result


@pytest.fixture
def pagerduty() -> Iterator[PagerDuty]:
    receiver = PagerDuty()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_a_stopped_worker_pages_and_its_return_resolves(
    tmp_path: Path, postgres_url: str, redis_url: str, pagerduty: PagerDuty,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("MARKETLOOP_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("MARKETLOOP_APP_DB_URL", postgres_url)
    monkeypatch.setenv("MARKETLOOP_RUNNER_QUEUE", redis_url)
    loop_file = tmp_path / "heartbeat.yaml"
    loop_file.write_text(LOOP)
    rules = yaml.safe_load((stack.DEPLOY / "prometheus" / "rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = "0s"
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    folder = tmp_path / "stack"
    ports = stack.Ports(free_port(), free_port(), free_port(), free_port())
    settings = load_settings(None, {})
    key_file = stack.metrics_key(folder, settings)  # the app's /metrics needs a key
    assert key_file.stat().st_mode & 0o077 == 0
    stack.configs(folder, ports, "1s", tmp_path / "rules.yml", pagerduty.url,
                  "http://127.0.0.1:9/", key_file)  # fmt: skip
    argvs = stack.commands(folder, ports, [loop_file])
    try:
        for name, argv in argvs.items():
            stack.start(folder, name, argv, ports)
        for url in (f"http://127.0.0.1:{ports.api}/healthz",
                    f"http://127.0.0.1:{ports.prometheus}/-/ready",
                    f"http://127.0.0.1:{ports.alertmanager}/-/ready"):  # fmt: skip
            assert wait_for(url, 60), url
        assert wait_for(f"http://127.0.0.1:{ports.worker}/metrics", 60, answered=True)
        service.start_run(settings, load_loop(loop_file))  # the worker runs it at once
        # both targets are up only when Prometheus's bearer key is accepted
        until(lambda: len(query(ports.prometheus, "up == 1")) == 2, 30, "both targets scraped")
        until(lambda: bool(query(ports.prometheus,
                                 'marketloop_loop_last_success_timestamp_seconds{loop="heartbeat"}')),
              60, "a success of the loop in Prometheus")  # fmt: skip
        stack.stop(folder, ["worker"])
        until(lambda: "trigger" in pagerduty.actions("Loop heartbeat"), 150, "LoopStale paged")
        event = next(e for e in pagerduty.events if e["event_action"] == "trigger")
        assert event["routing_key"] == "stack-routing-key"
        stack.start(folder, "worker", argvs["worker"], ports)
        until(lambda: "resolve" in pagerduty.actions("Loop heartbeat"), 150, "LoopStale resolved")
    finally:
        stack.stop(folder)
