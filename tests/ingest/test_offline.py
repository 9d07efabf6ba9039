"""An ingest run stays on this machine: dlt's anonymous telemetry is off and no connection
leaves loopback. Each check runs in a fresh interpreter, because dlt decides on telemetry once
per process, on the first touch of its configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import marketloop

SRC = Path(marketloop.__file__).resolve().parents[1]

# Records every host name looked up or connected to, runs `marketloop ingest file`, then
# reports the hosts and dlt's telemetry endpoint (None when the tracker never started).
PROBE = """
import json, socket, sys
hosts = []
real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
def getaddrinfo(host, *args, **kwargs):
    hosts.append(str(host))
    return real_getaddrinfo(host, *args, **kwargs)
def connect(self, address):
    if isinstance(address, tuple):
        hosts.append(str(address[0]))
    return real_connect(self, address)
socket.getaddrinfo, socket.socket.connect = getaddrinfo, connect
from marketloop.cli import main
sys.argv = ["marketloop", "--workspace", sys.argv[1], "ingest", "file", sys.argv[2],
            "--table", "keyword_list"]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
from dlt.common.runtime import anon_tracker, telemetry
endpoint = anon_tracker._ANON_TRACKER_ENDPOINT
telemetry.stop_telemetry()  # waits for queued events, so every send is counted
print(json.dumps({"code": code, "hosts": hosts, "endpoint": endpoint}))
"""

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def test_ingest_file_run_sends_no_telemetry_and_stays_on_loopback(tmp_path: Path) -> None:
    export = tmp_path / "keywords.csv"
    export.write_text("keyword,volume\nseo audit,100\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNTIME__", "MARKETLOOP_"))}
    env["PYTHONPATH"] = str(SRC)
    env["HOME"] = str(tmp_path / "home")  # dlt keeps its tracking cookie under ~/.dlt
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "ws"), str(export)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    assert report["endpoint"] is None  # dlt's anonymous tracker never started
    assert set(report["hosts"]) <= LOOPBACK, report["hosts"]
