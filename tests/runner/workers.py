"""Real `marketloop worker` processes for the tests, in either configuration."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import marketloop_env, spawn, stop

from marketloop.config import Settings, load_settings


@dataclass
class Config:
    """One deployment shape: the app database and the queue (None: SQLite in the workspace)."""

    workspace: Path
    app_db_url: str | None = None
    queue: str | None = None
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)  # more environment for the workers
    lease: float = 2.0  # seconds without a heartbeat before a step is taken over

    def env(self) -> dict[str, str]:
        env = marketloop_env(
            MARKETLOOP_WORKSPACE=str(self.workspace),
            MARKETLOOP_RUNNER_LEASE=str(self.lease),
            MARKETLOOP_RUNNER_HEARTBEAT="0.2",
            MARKETLOOP_RUNNER_TICK="0.2",
            MARKETLOOP_RUNNER_BACKOFF="0.05",
        )
        if self.app_db_url:
            env["MARKETLOOP_APP_DB_URL"] = self.app_db_url
        if self.queue:
            env["MARKETLOOP_RUNNER_QUEUE"] = self.queue
        return env | self.extra

    def settings(self) -> Settings:
        values: dict[str, object] = {
            "workspace": self.workspace,
            "runner": {
                "lease": self.lease,
                "heartbeat": 0.2,
                "tick": 0.2,
                "backoff": 0.05,
                "queue": self.queue,
            },
        }
        if self.app_db_url:
            values["app_db_url"] = self.app_db_url
        return load_settings(None, values)

    def start_worker(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.workspace.parent / f"worker-{len(self.procs)}.log"
        proc = spawn(log, self.env(), "worker", *args)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        stop(self.procs)


def wait_for(check: Callable[[], object], timeout: float = 30.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")
