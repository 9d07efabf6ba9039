"""A real dashboard for the browser tests: `marketloop serve` and `marketloop worker` processes
on a copy of the seeded workspace, with one user per role made by `marketloop users create`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "examples" / "plans" / "ai-marketing-sprint.yaml"
PASSWORD = "correct-horse-battery"
#: a small loop of the runner's own actions: a step, then one held for a person's approval
LOOP = """name: tiny
steps:
  warm: {action: noop, with: {seconds: 1}}
  publish: {action: noop, with: {seconds: 0.5}, needs: [warm], gate: manual}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dashboard:
    workspace: Path
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETLOOP_")}
        config = self.workspace.parent / "marketloop.toml"
        config.write_text(
            f'workspace = "{self.workspace}"\n[plan]\nfile = "{PLAN}"\n'
            f'[runner]\nloops = ["{self.workspace.parent / "tiny.yaml"}"]\n'
            "heartbeat = 0.2\ntick = 0.2\nlease = 3.0\n"
        )
        (self.workspace.parent / "tiny.yaml").write_text(LOOP)
        env.update(MARKETLOOP_CONFIG=str(config), PYTHONPATH=str(ROOT / "src"))
        return env

    def cli(self, *args: str, stdin: str = "") -> None:
        subprocess.run([sys.executable, "-m", "marketloop", *args], env=self.env(), check=True,
                       input=stdin.encode(), capture_output=True, timeout=120)  # fmt: skip

    def start(self) -> None:
        for role in ("viewer", "editor", "admin"):
            self.cli("users", "create", role, "--role", role, "--password-stdin",
                     stdin=PASSWORD + "\n")  # fmt: skip
        self.spawn("serve", "serve", "--port", str(self.port))
        self.spawn("worker", "worker")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError((self.workspace.parent / "serve.log").read_text()[-2000:])

    def spawn(self, log: str, *args: str) -> None:
        with (self.workspace.parent / f"{log}.log").open("wb") as out:
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "marketloop", *args], env=self.env(), stdout=out,
                stderr=subprocess.STDOUT,
            ))  # fmt: skip

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
