"""Real `marketloop …` processes for the tests (workers, the dashboard server): a clean
environment, a log file per process, and a stop that never leaves one behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def marketloop_env(**more: str) -> dict[str, str]:
    """This environment without any MARKETLOOP_* variable, running the sources of this
    checkout, plus `more`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETLOOP_")}
    return env | {"PYTHONPATH": str(ROOT / "src")} | more


def spawn(log: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """`marketloop ARGS`, its stdout and stderr in the file `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "marketloop", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(procs: list[subprocess.Popen[bytes]], timeout: float = 10) -> None:
    """Ctrl-C to every process still running, then wait; kill one that does not stop."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
