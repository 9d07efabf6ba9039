"""`marketloop stack up|down`: a staging stack on one machine, without Docker: the app, a
worker, Prometheus and Alertmanager (Debian's packages) on loopback, against the app database
and queue the settings name (the local PostgreSQL and Redis in `make stack`).

`up` makes an API key with the metrics scope (DIR/metrics_api_key, mode 0600) that Prometheus
sends to the app's and the worker's /metrics, writes DIR/prometheus.yml (scraping both
processes), DIR/rules.yml (deploy/'s, or --rules) and DIR/alertmanager.yml (deploy/'s routing
with the receivers pointed at --pagerduty-url and --slack-url), starts the four processes with
their logs in DIR/*.log, and records their pids in DIR/stack.json; `down` stops exactly those
pids.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from marketloop.config import Settings
from marketloop.errors import ConfigError, MarketloopError


def deploy_dir() -> Path:
    """deploy/: packaged in a wheel (pyproject's force-include), or in the source checkout."""
    packaged = Path(__file__).parent / "deploy"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "deploy"


DEPLOY = deploy_dir()
STATE = "stack.json"
BINARIES = {"prometheus": "prometheus", "alertmanager": "prometheus-alertmanager"}
_children: dict[int, subprocess.Popen[bytes]] = {}


class StackError(MarketloopError):
    """The stack could not start or stop."""


@dataclass(frozen=True)
class Ports:
    api: int = 8000
    worker: int = 9464
    prometheus: int = 9090
    alertmanager: int = 9093


def metrics_key(folder: Path, settings: Settings) -> Path:
    """A new API key with the metrics scope, in DIR/metrics_api_key (0600) for Prometheus."""
    from marketloop.api.keys import create_key, pepper
    from marketloop.api.scopes import Scope
    from marketloop.appdb import open_app_db
    from marketloop.config import app_db_url

    folder.mkdir(parents=True, exist_ok=True)
    engine = open_app_db(app_db_url(settings))
    try:
        key, _ = create_key(engine, pepper(settings), "stack prometheus", [Scope.metrics], None)
    finally:
        engine.dispose()
    path = folder / "metrics_api_key"
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(key + "\n")
    return path


def configs(folder: Path, ports: Ports, interval: str, rules: Path, pagerduty_url: str,
            slack_url: str, key_file: Path | None = None) -> None:  # fmt: skip
    """The three configuration files of a loopback stack, from deploy/'s; Prometheus sends
    `key_file` to the app's /metrics (None: `[observe] metrics_public`)."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs: list[dict[str, Any]] = [
        {"job_name": name, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
        for name, port in (("marketloop-api", ports.api), ("marketloop-worker", ports.worker))
    ]
    if key_file is not None:  # both /metrics take the key (observe/keycheck.py for the worker)
        for job in jobs:
            job["authorization"] = {"type": "Bearer", "credentials_file": str(key_file)}
    shutil.copyfile(rules, folder / "rules.yml")
    prometheus = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": ["rules.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [f"127.0.0.1:{ports.alertmanager}"]}]}]},
        "scrape_configs": jobs,
    }  # fmt: skip
    (folder / "prometheus.yml").write_text(yaml.safe_dump(prometheus, sort_keys=False))
    routing: dict[str, Any] = yaml.safe_load(
        (DEPLOY / "alertmanager" / "alertmanager.yml").read_text()
    )
    routing["global"]["pagerduty_url"] = pagerduty_url
    (folder / "pagerduty_routing_key").write_text("stack-routing-key\n")
    (folder / "slack_webhook_url").write_text(slack_url + "\n")
    seconds = interval[:-1] if interval.endswith("s") else ""
    if seconds.isdigit() and int(seconds) < 10:  # a test stack: notify at once
        routing["route"].update(group_wait="1s", group_interval="2s")
        for route in routing["route"].get("routes", []):
            route.update(group_wait="1s", group_interval="2s")
    for receiver in routing["receivers"]:
        for pd in receiver.get("pagerduty_configs", []):
            pd["routing_key_file"] = str(folder / "pagerduty_routing_key")
        for slack in receiver.get("slack_configs", []):
            slack["api_url_file"] = str(folder / "slack_webhook_url")
    (folder / "alertmanager.yml").write_text(yaml.safe_dump(routing, sort_keys=False))


def commands(folder: Path, ports: Ports, loops: list[Path]) -> dict[str, list[str]]:
    marketloop = [sys.executable, "-m", "marketloop"]
    return {
        "app": [*marketloop, "serve", "--host", "127.0.0.1", "--port", str(ports.api)],
        "worker": [*marketloop, "worker", *(a for p in loops for a in ("--loop", str(p)))],
        "prometheus": [_binary("prometheus"), f"--config.file={folder / 'prometheus.yml'}",
                       f"--storage.tsdb.path={folder / 'prometheus-data'}",
                       f"--web.listen-address=127.0.0.1:{ports.prometheus}"],
        "alertmanager": [_binary("alertmanager"), f"--config.file={folder / 'alertmanager.yml'}",
                         f"--storage.path={folder / 'alertmanager-data'}",
                         f"--web.listen-address=127.0.0.1:{ports.alertmanager}",
                         "--cluster.listen-address="],
    }  # fmt: skip


def start(folder: Path, name: str, argv: list[str], ports: Ports) -> int:
    env = {**os.environ, "MARKETLOOP_OBSERVE_METRICS_PORT": str(ports.worker),
           "MARKETLOOP_OBSERVE_METRICS_HOST": "127.0.0.1", "MARKETLOOP_LOG_FORMAT": "json",
           "MARKETLOOP_LOG_LEVEL": "info"}  # fmt: skip
    with (folder / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(  # noqa: S603  (our own argv, no shell)
            argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    _children[process.pid] = process  # reaped by stop()
    state = _state(folder)
    state[name] = process.pid
    (folder / STATE).write_text(json.dumps(state))
    return process.pid


def stop(folder: Path, names: list[str] | None = None, wait: float = 15.0) -> list[str]:
    """SIGTERM the recorded processes (by pid, each in its own session), then SIGKILL."""
    state = _state(folder)
    stopped = []
    for name in names or list(state):
        pid = state.pop(name, None)
        if pid is None:
            continue
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
            child = _children.pop(pid, None)
            if child is not None:
                child.wait(timeout=5)
        stopped.append(name)
    (folder / STATE).write_text(json.dumps(state))
    return stopped


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:  # started by this process: poll() reaps it
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:  # started by another process (`stack down` after `stack up`)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _state(folder: Path) -> dict[str, int]:
    path = folder / STATE
    return json.loads(path.read_text()) if path.is_file() else {}


def _binary(name: str) -> str:
    found = shutil.which(BINARIES[name])
    if found is None:
        raise ConfigError(
            f"{BINARIES[name]} is not installed",
            hint="apt-get install prometheus prometheus-alertmanager",
        )
    return found
