"""The `ingest` command group: summaries, formats, exit statuses, no secret in the output or
the logs, and a run killed mid-paging."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from tests.support.cli import run
from typer.testing import CliRunner

import marketloop
from marketloop.cli import app
from marketloop.ingest.jobs import ingest_gsc
from marketloop.workspace import Workspace

from .conftest import (
    HUBSPOT_TOKEN,
    PROPERTY,
    SITE,
    TODAY,
    Fakes,
    Google,
    make_settings,
    query,
    snapshot,
)


@pytest.fixture
def env(
    workspace: Workspace, fakes: Fakes, google: Google, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    values = {
        "MARKETLOOP_WORKSPACE": str(workspace.root),
        "MARKETLOOP_GOOGLE_CREDENTIALS_FILE": str(google.key_file),
        "MARKETLOOP_GA4_BASE_URL": fakes.urls["ga4"],
        "MARKETLOOP_GSC_BASE_URL": fakes.urls["gsc"],
        "MARKETLOOP_HUBSPOT_BASE_URL": fakes.urls["hubspot"],
        "MARKETLOOP_HUBSPOT_TOKEN": HUBSPOT_TOKEN,
        "MARKETLOOP_HUBSPOT_BACKOFF": "0.01",
        "MARKETLOOP_GA4_BACKOFF": "0.01",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    # subprocesses run this checkout's code, like pytest does
    monkeypatch.setenv("PYTHONPATH", str(Path(marketloop.__file__).parents[1]))
    return values


def test_ga4_prints_a_summary_per_table(cli: CliRunner, env: dict[str, str]) -> None:
    result = cli.invoke(
        app, ["ingest", "ga4", "--property", PROPERTY, "--start", "2daysAgo", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["table"] for row in rows] == ["ga4.pages", "ga4.traffic_sources"]
    assert all(row["rows"] > 0 and row["requests"] >= 2 for row in rows)
    assert rows[0]["quota left"].startswith("tokens/day")


def test_hubspot_table_summary_and_unknown_objects(cli: CliRunner, env: dict[str, str]) -> None:
    result = cli.invoke(app, ["ingest", "hubspot", "--object", "contacts"])
    assert result.exit_code == 0, result.output
    assert "┃ table" in result.stdout and "quota left" in result.stdout  # a rich table
    result = cli.invoke(app, ["ingest", "hubspot", "--objects", "contacts", "--format", "csv"])
    tables = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
    assert tables == ["hubspot.contact_companies", "hubspot.contacts"]
    assert "--objects` is deprecated" in result.stderr and "use --object" in result.stderr


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            ["ingest", "gsc", "--site", SITE, "--start", "2024-06-10", "--end", "2024-06-01"],
            3,
            "empty date range",
        ),
        (["ingest", "gsc", "--site", SITE, "--start", "someday"], 2, "'someday' is not a date"),
        (["ingest", "ga4"], 2, "no GA4 property given"),
        (["ingest", "hubspot", "--object", "tickets"], 2, "unknown HubSpot object(s): tickets"),
        (["ingest", "file", "missing.csv", "--table", "k"], 3, "missing.csv does not exist"),
        (["ingest", "crawl"], 3, "no crawl dataset"),
    ],
)
def test_errors_become_one_line_and_an_exit_status(
    env: dict[str, str],
    args: list[str],
    status: int,
    message: str,
) -> None:
    code, _, err = run(*args)
    assert code == status, err
    assert f"error: {message}" in err
    assert "Traceback" not in err


def test_a_rejected_token_exits_3_and_no_secret_reaches_output_or_logs(
    env: dict[str, str], fakes: Fakes
) -> None:
    fakes.hubspot.expired.add(HUBSPOT_TOKEN)
    code, out, err = run("--log-level", "debug", "ingest", "hubspot")
    assert code == 3
    assert "HubSpot rejected the HubSpot private-app token" in err
    assert "fix MARKETLOOP_HUBSPOT_TOKEN" in err
    assert HUBSPOT_TOKEN not in out + err


def test_google_secrets_never_reach_the_logs(env: dict[str, str], google: Google) -> None:
    args = ["--log-level", "debug", "ingest", "gsc", "--site", SITE, "--start", "2024-06-26"]
    code, out, err = run(*args)
    assert code == 0, err
    assert "gsc query" in err  # debug logging was on
    args = ["--log-level", "info", "ingest", "ga4", "--property", PROPERTY, "--start", "today"]
    code, more_out, more_err = run(*args)
    assert code == 0, more_err
    assert "per_day=" in more_err and "per_day=***" not in more_err  # the quota is logged
    out, err = out + more_out, err + more_err
    issued = [token for token in google.tokens.issued if token.startswith("ya29.")]
    key = json.loads(google.key_file.read_text())["private_key"]
    secrets = [*issued, key.splitlines()[1], HUBSPOT_TOKEN]
    assert issued and not [s for s in secrets if s in out + err]


def test_a_kill_mid_paging_loads_nothing_and_the_next_run_completes(
    env: dict[str, str], fakes: Fakes, workspace: Workspace, google: Google
) -> None:
    settings = make_settings(workspace, fakes, google, gsc={"row_limit": 25})
    start = date(2024, 6, 24)
    ingest_gsc(settings, SITE, start=start, today=TODAY)
    before = snapshot(settings, "gsc.search_analytics")
    fakes.gsc.revision += 1
    fakes.gsc.faults.fail_on_page = fakes.gsc.faults.pages + 5  # stall there: 503, wait 30 s
    fakes.gsc.faults.fail_status = 503
    fakes.gsc.faults.retry_after = 30
    command = [
        sys.executable,
        "-m",
        "marketloop",
        "ingest",
        "gsc",
        "--site",
        SITE,
        "--start",
        start.isoformat(),
    ]
    process_env = {
        **os.environ,
        "MARKETLOOP_GSC_ROW_LIMIT": "25",
        "MARKETLOOP_GSC_BACKOFF_CAP": "60",
    }
    process = subprocess.Popen(
        command, env=process_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while fakes.gsc.faults.failures == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert fakes.gsc.faults.failures >= 1  # it was killed in the middle of paging
    assert snapshot(settings, "gsc.search_analytics") == before
    fakes.gsc.faults.fail_on_page = None
    ingest_gsc(settings, SITE, start=start, today=TODAY)
    after = snapshot(settings, "gsc.search_analytics")["gsc.search_analytics"]
    assert (
        len(after) == len(before["gsc.search_analytics"])
        and after != before["gsc.search_analytics"]
    )
    keys = "date, query, page, country, device"
    assert query(
        settings, f"SELECT count(*) - count(DISTINCT ({keys})) FROM gsc.search_analytics"
    ) == [(0,)]


def test_file_command(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("keyword,volume\nseo,10\n")
    result = cli.invoke(
        app, ["ingest", "file", str(path), "--table", "Keywords", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith("files.keywords,1,1,")
