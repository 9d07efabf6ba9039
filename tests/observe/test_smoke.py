"""`marketloop smoke`: each check against a real app, the JUnit XML, exit codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from fastapi.testclient import TestClient
from tests.support.cli import run

from marketloop.api.app import create_app
from marketloop.api.keys import create_key
from marketloop.api.scopes import Scope
from marketloop.config import load_settings
from marketloop.observe.smoke import Smoke, junit


def test_every_check_against_a_real_app(tmp_path: Path) -> None:
    loop = tmp_path / "smoketest.yaml"
    loop.write_text("name: smoketest\nsteps:\n  a: {action: noop}\n")
    settings = load_settings(None, {"workspace": tmp_path / "ws", "runner": {"loops": [loop]}})
    app = create_app(settings)
    ctx = app.state.api
    key, _ = create_key(
        ctx.engine, ctx.auth.pepper, "smoke", [Scope.read, Scope.run, Scope.metrics], None
    )
    no_metrics, _ = create_key(ctx.engine, ctx.auth.pepper, "smoke", [Scope.read], None)
    with TestClient(app) as client:
        results = {r.name: r for r in Smoke(client, key, "smoketest", run_timeout=1).run()}
        anonymous = {r.name: r for r in Smoke(client, None, "smoketest").run()}
        wrong = {r.name: r for r in Smoke(client, "mk_wrong_key_<script>", "smoketest").run()}
        unknown = Smoke(client, key, "no-such-loop").tiny_run()
        refused = Smoke(client, no_metrics, "smoketest").metrics()
    outcomes = {name: r.outcome for name, r in results.items()}
    assert outcomes["healthz"] == outcomes["readyz"] == "pass"
    assert outcomes["unauthenticated call refused"] == "pass"
    assert outcomes["authenticated call served"] == "pass"
    assert outcomes["metrics present"] == "pass"
    assert outcomes["login page served"] == "pass"
    # no worker consumes the queue here: the run is started and waited for, then reported
    assert outcomes["tiny run"] == "fail"
    assert results["tiny run"].detail == "run of smoketest: queued"
    assert unknown[0] == "fail" and "answered 4" in unknown[1]
    assert anonymous["authenticated call served"].outcome == "skip"
    assert anonymous["tiny run"].outcome == "skip"
    assert refused == ("fail", "/metrics answered 403: --key needs the metrics scope")
    assert anonymous["metrics present"].outcome == "fail"
    assert wrong["authenticated call served"].outcome == "fail"
    assert "401" in wrong["authenticated call served"].detail


def test_junit_xml_counts_failures_and_skips(tmp_path: Path) -> None:
    from marketloop.observe.smoke import Check

    results = [
        Check("healthz", "pass", "200", 0.01),
        Check("readyz", "fail", 'answered 503 <script>"&', 0.02),
        Check("login page served", "skip", "no dashboard", 0.0),
    ]
    suite = ET.fromstring(junit(results, "http://127.0.0.1:1"))
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    failure = suite.find("testcase[@name='readyz']/failure")
    assert failure is not None and failure.get("message") == 'answered 503 <script>"&'


def test_cli_exit_codes_and_junit_file(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "smoke.xml"
    code, stdout, err = run("smoke", "http://127.0.0.1:1", "--junit", str(out), "--timeout", "2")
    assert code == 1
    assert "healthz" in stdout and "smoke failed" in err
    suite = ET.parse(out).getroot()
    assert int(suite.get("failures") or 0) >= 1
    code, _, err = run("smoke", "ftp://[/]<script>")
    assert code == 2 and "not an http(s) URL" in err
