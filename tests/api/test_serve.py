"""`marketloop serve` on loopback: it listens, answers, and refuses to start without a pepper
outside local mode."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from tests.support.cli import run


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETLOOP_")}
    return {**env, **extra}


def test_serve_listens_and_answers(workspace) -> None:
    port = _port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "marketloop",
            "serve",
            "--port",
            str(port),
            "--workspace",
            str(workspace.root),
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        docs = httpx.get(f"http://127.0.0.1:{port}/api/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        anonymous = httpx.get(f"http://127.0.0.1:{port}/api/v1/crawls")
        assert anonymous.status_code == 401
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_serve_refuses_production_without_pepper(workspace, monkeypatch) -> None:
    monkeypatch.setenv("MARKETLOOP_MODE", "production")
    code, _, err = run("serve", "--workspace", str(workspace.root))
    assert code == 2
    assert "api.pepper is not set" in err and "MARKETLOOP_API_PEPPER" in err
