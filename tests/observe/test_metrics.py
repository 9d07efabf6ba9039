"""Metrics: the API's /metrics after a small loop run, route templates, request ids, the
database facts, integrations, the LLM ledger and the worker's own /metrics port."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from marketloop.api.app import create_app
from marketloop.api.keys import create_key
from marketloop.api.scopes import Scope
from marketloop.config import Settings, load_settings
from marketloop.content.config import LlmSettings
from marketloop.content.llm.ledger import Ledger
from marketloop.observe import metrics
from marketloop.observe.logging import configure_logging
from marketloop.runner import service
from marketloop.runner.loopfile import parse_loop

LOOP = """name: {name}
schedule: {{cron: "0 * * * *"}}
steps:
  audit: {{action: noop, gate: {{require_ok: true}}, with: {{ok: {ok}}}}}
  after: {{action: noop, needs: [audit]}}
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(None, {"workspace": tmp_path / "ws", "mode": "local"})


def metrics_key(app: FastAPI, *scopes: Scope) -> dict[str, str]:
    ctx = app.state.api
    key, _ = create_key(ctx.engine, ctx.auth.pepper, "prometheus", list(scopes), None)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client that sends a key with the metrics scope (as Prometheus does)."""
    app = create_app(settings)
    with TestClient(app, headers=metrics_key(app, Scope.metrics)) as client:
        yield client


def test_metrics_needs_a_key_with_the_metrics_scope(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        anonymous = client.get("/metrics")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert anonymous.headers["www-authenticate"].startswith('Bearer realm="marketloop"')
        assert "marketloop_" not in anonymous.text
        hostile = client.get("/metrics", headers={"Authorization": "Bearer <script>\"'&=1+2"})
        assert hostile.status_code == 401 and "<script>" not in hostile.text
        wrong = client.get("/metrics", headers=metrics_key(app, Scope.read, Scope.admin))
        assert wrong.status_code == 403
        assert "metrics scope" in wrong.json()["detail"]
        served = client.get("/metrics", headers=metrics_key(app, Scope.metrics))
        assert served.status_code == 200
        assert served.headers["content-type"].startswith("text/plain")
        assert "# TYPE marketloop_loop_runs_total counter" in served.text


def test_metrics_public_opts_out_on_a_private_network(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        {"workspace": tmp_path / "ws", "observe": {"metrics_public": True},
         "api": {"limits": {"anonymous": "2/minute"}}},
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        for _ in range(4):  # a scraper is never limited like anonymous callers
            served = client.get("/metrics")
            assert served.status_code == 200, served.text
        assert client.get("/api/v1/scopes").status_code == 401  # the rest still needs a key


def scrape(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def value(found: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for lab, v in found.get(name, []) if labels.items() <= lab.items())


def run_loops(settings: Settings) -> None:
    for name, ok in (("weekly", "true"), ("weekly", "false"), ("daily", "true")):
        loop = parse_loop(LOOP.format(name=name, ok=ok), f"{name}.yaml")
        service.start_run(settings, loop, inline=True)


def test_metrics_after_a_loop_run(settings: Settings, client: TestClient) -> None:
    run_loops(settings)
    from marketloop.config import app_db_url
    from marketloop.runner.slots import Slots
    from marketloop.runner.store import Store, now

    Slots(Store(app_db_url(settings))).claim("weekly", "", "0 * * * *", "UTC", None, now())
    before = scrape(client.get("/metrics").text)
    client.get("/healthz")
    found = scrape(client.get("/metrics").text)
    assert value(found, "marketloop_loop_runs_total", loop="weekly", status="succeeded") == 1
    assert value(found, "marketloop_loop_runs_total", loop="weekly", status="failed") == 1
    assert value(found, "marketloop_loop_last_success_timestamp_seconds", loop="daily") > 0
    assert value(found, "marketloop_loop_schedule_interval_seconds", loop="weekly") == 3600
    assert "marketloop_queue_depth" in found
    assert value(found, "marketloop_facts_up") == 1
    fails = value(
        found, "marketloop_gate_results_total", loop="weekly", gate="audit", result="fail"
    )
    assert fails >= 1
    assert value(found, "marketloop_step_duration_seconds_count", loop="weekly", step="after") >= 1
    grew = value(found, "marketloop_http_requests_total", route="/healthz", status="200") - value(
        before, "marketloop_http_requests_total", route="/healthz", status="200"
    )
    assert grew == 1


def test_routes_are_counted_by_template_never_by_raw_path(client: TestClient) -> None:
    hostile = "/api/v1/runs/<script>alert(1)</script>"
    client.get(hostile)
    client.get("/no/such/path/=HYPERLINK(1)")
    text = client.get("/metrics").text
    # the request metrics only: other tests of this process may have counted hostile model names
    http = "\n".join(line for line in text.splitlines() if line.startswith("marketloop_http_"))
    assert http and "<script>" not in http and "HYPERLINK" not in http
    routes = {lab["route"] for lab, _ in scrape(text)["marketloop_http_requests_total"]}
    assert "unmatched" in routes
    assert all(r == "unmatched" or r.startswith("/") for r in routes)


def test_request_id_is_echoed_and_on_every_log_line(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("debug", "json")
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>\x07\"'&"})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["X-Request-ID"])
    fresh = client.get("/api/v1/nothing-here")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-ID"])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    requests = [line for line in lines if line["event"] == "request"]
    assert [line["request_id"] for line in requests] == [
        "abc-123",
        hostile.headers["X-Request-ID"],
        fresh.headers["X-Request-ID"],
    ]
    assert "<script>" not in json.dumps(lines)


def test_run_lines_carry_run_id_loop_and_step(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", "json")
    loop = parse_loop(LOOP.format(name="weekly", ok="true"), "weekly.yaml")
    run = service.start_run(settings, loop, inline=True)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    step_lines = [line for line in lines if line["event"].startswith("step ")]
    assert len(step_lines) >= 4
    for line in step_lines:
        assert line["run_id"] == run.run_id and line["loop"] == "weekly"
        assert line["step"] in {"audit", "after"}


def test_integration_requests_count_429s(tmp_path: Path) -> None:
    before = metrics.INTEGRATION_REQUESTS.labels("hubspot", "429")._value.get()
    transport = httpx.MockTransport(lambda request: httpx.Response(429))
    with httpx.Client(transport=transport, event_hooks=metrics.httpx_hooks("hubspot")) as http:
        http.get("http://127.0.0.1/crm/v3/objects/contacts")
    metrics.record_integration_request("no-such-service", "<script>")
    assert metrics.INTEGRATION_REQUESTS.labels("hubspot", "429")._value.get() == before + 1
    assert metrics.INTEGRATION_REQUESTS.labels("other", "error")._value.get() >= 1


def tokens(model: str, kind: str) -> float:
    return float(metrics.LLM_TOKENS.labels(model, kind)._value.get())


def test_llm_ledger_counts_tokens_and_cost() -> None:
    ledger = Ledger(LlmSettings(), "run-1")
    model = "gpt-4o-mini"
    prompt, cost = tokens(model, "prompt"), metrics.LLM_COST.labels(model)._value.get()
    common: dict[str, Any] = {"purpose": "t", "label": "t", "model": model,
                              "prompt_version": None, "latency_ms": 1.0, "retries": 0,
                              "status": "ok"}  # fmt: skip
    entry = ledger.record(prompt_tokens=1000, completion_tokens=10, cache_hit=False, **common)
    ledger.record(prompt_tokens=1000, completion_tokens=10, cache_hit=True, **common)
    assert tokens(model, "prompt") == prompt + 1000
    assert metrics.LLM_COST.labels(model)._value.get() == pytest.approx(cost + entry.cost_usd)


def test_the_worker_serves_its_own_metrics() -> None:
    port = metrics.serve_metrics("127.0.0.1", 0)
    metrics.CRAWL_PAGES.inc()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert "marketloop_crawl_pages_total" in text
    assert "marketloop_loop_runs_total" not in text  # database facts: on the API only


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_the_worker_metrics_need_the_same_key(tmp_path: Path) -> None:
    """A worker's /metrics takes the API's rule: a key with the metrics scope, by default."""
    from marketloop.observe.keycheck import metrics_check

    settings = load_settings(None, {"workspace": tmp_path / "ws"})
    app = create_app(settings)  # the app database and its keys, as the API made them
    check = metrics_check(settings)
    assert check is not None
    port = metrics.serve_metrics("127.0.0.1", 0, check)
    url = f"http://127.0.0.1:{port}/metrics"
    status, text = get(url)
    assert status == 401 and "marketloop_" not in text
    assert get(url, {"Authorization": "Bearer <script>\"'&"})[0] == 401
    assert get(url, metrics_key(app, Scope.read, Scope.run))[0] == 403
    status, text = get(url, metrics_key(app, Scope.metrics))
    assert status == 200 and "marketloop_crawl_pages_total" in text
    public = load_settings(
        None, {"workspace": tmp_path / "ws", "observe": {"metrics_public": True}}
    )
    assert metrics_check(public) is None


MULTIPROC = """
import sys
from fastapi.testclient import TestClient
from marketloop.api.app import create_app
from marketloop.config import load_settings
from marketloop.observe.logging import configure_logging
configure_logging("warning")
settings = load_settings(None, {"workspace": sys.argv[1], "observe": {"metrics_public": True}})
with TestClient(create_app(settings)) as client:
    for _ in range(int(sys.argv[2])):
        client.get("/healthz")
    if sys.argv[3] == "scrape":
        print(client.get("/metrics").text)
"""


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    folder = tmp_path / "prom"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    ws = str(tmp_path / "ws")

    def process(count: int, mode: str) -> str:
        argv = [sys.executable, "-c", MULTIPROC, ws, str(count), mode]
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    process(3, "count")
    found = scrape(process(2, "scrape"))
    assert value(found, "marketloop_http_requests_total", route="/healthz", status="200") == 5
    assert value(found, "marketloop_facts_up") == 1


def test_source_freshness_comes_from_the_newest_quality_step(settings: Settings) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from marketloop.appdb import open_app_db
    from marketloop.config import app_db_url
    from marketloop.observe.facts import DatabaseFacts
    from marketloop.runner.tables import RunRow, StepRow

    engine = open_app_db(app_db_url(settings))
    moment = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        for n, (hours, status) in enumerate([(50, "succeeded"), (2, "failed")]):
            s.add(RunRow(id=f"r{n}", loop="weekly", status=status, trigger="manual",
                         definition={}, created_at=moment))  # fmt: skip
            loaded = {"ga4": (moment - timedelta(hours=hours)).isoformat(), "bad": "<script>"}
            s.add(StepRow(run_id=f"r{n}", name="quality", position=0, action="quality",
                          status=status, finished_at=moment + timedelta(minutes=n),
                          facts={"loaded": loaded}))  # fmt: skip
    families = {f.name: f for f in DatabaseFacts(engine).collect()}
    samples = {
        tuple(s.labels.items()): s.value
        for s in families["marketloop_source_freshness_seconds"].samples
    }
    assert list(samples) == [(("source", "ga4"),)]  # the unparseable date is left out
    assert samples[(("source", "ga4"),)] == pytest.approx(2 * 3600, abs=60)


def test_a_loop_that_never_succeeded_exports_its_registration(tmp_path: Path) -> None:
    """LoopStale needs a time for a loop without any success: the first sight of its schedule
    (reset when its cron changes)."""
    from datetime import timedelta

    from marketloop.config import app_db_url
    from marketloop.runner.slots import Slots
    from marketloop.runner.store import Store, now

    settings = load_settings(
        None,
        {
            "workspace": tmp_path / "ws",
            "quality": {"freshness": {"hubspot": {"load_warn_hours": 2}}},
        },
    )
    slots = Slots(Store(app_db_url(settings)))
    before = now().timestamp()
    slots.claim("never", "", "0 * * * *", "UTC", None, now() - timedelta(minutes=5))
    app = create_app(settings)
    with TestClient(app, headers=metrics_key(app, Scope.metrics)) as client:
        found = scrape(client.get("/metrics").text)
        first = value(found, "marketloop_loop_registered_timestamp_seconds", loop="never")
        assert before - 1 <= first <= now().timestamp() + 1
        assert not [s for s in found.get("marketloop_loop_last_success_timestamp_seconds", [])
                    if s[0].get("loop") == "never"]  # fmt: skip
        # one source of truth: dbt's load thresholds, per source
        hours = {name: rule.load_warn_hours for name, rule in settings.quality.freshness.items()}
        for source, warn in hours.items():
            got = value(found, "marketloop_source_freshness_threshold_seconds", source=source)
            assert got == warn * 3600, source
        assert hours["hubspot"] == 2 and hours["crawl"] == 192
        # the same cron claimed again keeps the registration; a new cron registers again
        last = slots.last("never", "", "0 * * * *", "UTC")
        slots.claim("never", "", "0 * * * *", "UTC", last, now())
        kept = value(scrape(client.get("/metrics").text),
                     "marketloop_loop_registered_timestamp_seconds", loop="never")  # fmt: skip
        assert kept == first
        slots.claim("never", "", "30 * * * *", "UTC", None, now())
        moved = value(scrape(client.get("/metrics").text),
                      "marketloop_loop_registered_timestamp_seconds", loop="never")  # fmt: skip
        assert moved > first
