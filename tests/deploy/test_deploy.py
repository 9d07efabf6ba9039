"""deploy/: checked with the real tools (promtool, amtool from Debian's packages), the compose
file against the Compose Specification's schema, and every metric a rule or dashboard uses
against what /metrics serves after a small loop run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from jsonschema import Draft7Validator

from marketloop.api.app import create_app
from marketloop.api.keys import create_key
from marketloop.api.scopes import Scope
from marketloop.config import load_settings
from marketloop.observe import metrics
from marketloop.runner import service
from marketloop.runner.loopfile import parse_loop

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "rules.yml"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
METRIC = re.compile(r"\bmarketloop_[a-z_]+")
SUFFIXES = ("_bucket", "_count", "_sum")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:  # CI installs them (.ci/run); a developer: apt-get install prometheus ...
        pytest.fail(f"{name} is not installed: apt-get install prometheus prometheus-alertmanager")
    return found


def run(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def rules() -> list[dict[str, object]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_checks_the_rules_and_the_config(tmp_path: Path) -> None:
    assert "SUCCESS" in run(tool("promtool"), "check", "rules", str(RULES))
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    secret = "/run/secrets/metrics_api_key"  # /metrics needs a key (metrics scope)
    for job in config["scrape_configs"]:
        if job["job_name"].startswith("marketloop-"):
            assert job["authorization"] == {"type": "Bearer", "credentials_file": secret}
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert "metrics_api_key" in compose["services"]["prometheus"]["secrets"]
    # promtool also checks that the key file exists: point it at one here
    (tmp_path / "key").write_text("mlk_x\n")
    text = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    (tmp_path / "prometheus.yml").write_text(text.replace(secret, str(tmp_path / "key")))
    shutil.copyfile(RULES, tmp_path / "rules.yml")
    run(tool("promtool"), "check", "config", str(tmp_path / "prometheus.yml"))


def test_promtool_unit_tests_pass_and_cover_every_alert() -> None:
    run(tool("promtool"), "test", "rules", str(DEPLOY / "prometheus" / "tests.yml"))
    tests = yaml.safe_load((DEPLOY / "prometheus" / "tests.yml").read_text())["tests"]
    tested = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")  # a test that sees the alert fire
    }
    alerts = {str(rule["alert"]) for rule in rules() if "alert" in rule}
    assert alerts - tested == set(), "alerts without a firing unit test"
    assert all(rule.get("labels", {}).get("severity") in {"critical", "warning"}  # type: ignore[union-attr]
               for rule in rules() if "alert" in rule)  # fmt: skip


def test_amtool_checks_the_config_and_routes_by_severity() -> None:
    config = str(DEPLOY / "alertmanager" / "alertmanager.yml")
    run(tool("amtool"), "check-config", config)
    routed = {
        severity: run(tool("amtool"), "config", "routes", "test", f"--config.file={config}",
                      "alertname=LoopStale", f"severity={severity}").strip()
        for severity in ("critical", "warning")
    }  # fmt: skip
    assert routed == {"critical": "pagerduty-critical", "warning": "slack-warnings"}


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((Path(__file__).parent / "compose_spec.json").read_text())
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    errors = [e.message for e in Draft7Validator(schema).iter_errors(compose)]
    assert errors == []
    services = compose["services"]
    assert {"app", "worker", "postgres", "redis", "prometheus", "alertmanager", "grafana",
            "loki", "alloy"} <= set(services)  # fmt: skip
    for name, spec in services.items():
        for port in spec.get("ports", []):
            assert port.startswith("${BIND_ADDRESS:-127.0.0.1}:"), name
        assert "healthcheck" in spec or name == "alloy", name


def test_compose_schema_refuses_a_broken_file() -> None:
    schema = json.loads((Path(__file__).parent / "compose_spec.json").read_text())
    broken = {"services": {"app": {"image": "x", "ports": [{"target": "not a port"}], "nope": 1}}}
    assert list(Draft7Validator(schema).iter_errors(broken))


def test_alloy_ships_with_only_service_and_level_labels() -> None:
    text = (DEPLOY / "alloy" / "config.alloy").read_text()
    keep = re.search(r"stage\.label_keep\s*{\s*values\s*=\s*\[([^\]]*)\]", text)
    assert keep and re.findall(r'"(\w+)"', keep.group(1)) == ["service", "level"]
    assert "loki.write" in text


def used_metrics() -> dict[str, set[str]]:
    """metric name -> where it is used (rule or dashboard panel)."""
    used: dict[str, set[str]] = {}
    for rule in rules():
        for name in METRIC.findall(str(rule["expr"])):
            used.setdefault(name, set()).add(str(rule.get("alert") or rule.get("record")))
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                for name in METRIC.findall(target["expr"]):
                    used.setdefault(name, set()).add(f"{path.name}: {panel['title']}")
    return used


def test_four_dashboards_are_provisioned() -> None:
    titles = {json.loads(p.read_text())["title"] for p in DASHBOARDS}
    assert len(titles) == 4
    assert all(any(word in t for t in titles) for word in ("Loop", "API", "LLM", "freshness"))


def test_every_metric_a_rule_or_panel_uses_is_served(tmp_path: Path) -> None:
    settings = load_settings(
        None, {"workspace": tmp_path / "ws", "observe": {"llm_monthly_budget_usd": 50}}
    )
    app = create_app(settings)
    ctx = app.state.api
    key, _ = create_key(ctx.engine, ctx.auth.pepper, "prometheus", [Scope.metrics], None)
    loop = parse_loop(
        "name: t\nschedule: {cron: '0 * * * *'}\nsteps:\n"
        "  a: {action: noop, gate: {require_ok: true}}\n  b: {action: noop, needs: [a]}\n",
        "t.yaml",
    )
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
        service.start_run(settings, loop, inline=True)
        client.get("/healthz")
        text = client.get("/metrics").text
    served = set(re.findall(r"^# TYPE (\S+)", text, re.M))
    missing = {}
    for name, where in used_metrics().items():
        base = next((name[: -len(s)] for s in SUFFIXES if name.endswith(s)), name)
        if name not in served and base not in served:
            missing[name] = sorted(where)
    assert missing == {}
    assert set(used_metrics()) <= {
        *metrics.NAMES,
        *(n + s for n in metrics.NAMES for s in SUFFIXES),
    }


# Grafana, Loki and Alloy are not installable on these machines (Debian has no grafana, its
# `loki` is an unrelated genetics package, neither has promtail or alloy; PyPI and npm carry
# only clients and libraries), so their inputs are checked here with what does run: the
# dashboards' PromQL by Prometheus's own parser, and their LogQL against Alloy's labels and the
# fields our JSON log lines really carry.
GRAFANA_MACROS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}
LEVELS = {"debug", "info", "warning", "error", "critical"}


def panel_queries(kind: str) -> list[tuple[str, str]]:
    """(where, expr) of every dashboard panel target whose data source is `kind`."""
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            if panel["datasource"]["type"] == kind:
                found += [(f"{path.name}: {panel['title']}", t["expr"]) for t in panel["targets"]]
    return found


def promtool_parses(exprs: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    """`promtool check rules` over one recording rule per expression: Prometheus's parser."""
    for macro, value in GRAFANA_MACROS.items():
        exprs = [e.replace(macro, value) for e in exprs]
    rules = [{"record": f"dashboard:panel_{n}", "expr": e} for n, e in enumerate(exprs)]
    path = folder / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    return subprocess.run([tool("promtool"), "check", "rules", str(path)], capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip


def test_every_dashboard_promql_parses_with_prometheus(tmp_path: Path) -> None:
    queries = panel_queries("prometheus")
    assert len(queries) >= 20
    done = promtool_parses([expr for _, expr in queries], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(queries)} rules found" in done.stdout
    broken = promtool_parses(["sum by (loop (marketloop_queue_depth)"], tmp_path)
    assert broken.returncode != 0  # the check can fail


def logql_selector(expr: str) -> dict[str, str]:
    """label -> matched value of a LogQL stream selector `{a="x", b=~"y|z"}` (our panels' form;
    not a LogQL parser)."""
    selector = re.match(r"\s*\{([^}]*)\}", expr)
    assert selector, expr
    pairs = re.findall(r'(\w+)\s*(?:=~|!~|!=|=)\s*"([^"]*)"', selector.group(1))
    assert len(pairs) == selector.group(1).count('"') // 2, expr
    return dict(pairs)


def logql_fields(expr: str) -> set[str]:
    """JSON fields a query reads after `| json`: in line_format templates and label filters."""
    after = expr.split("| json", 1)[1]
    fields = set(re.findall(r"\{\{\s*\.(\w+)\s*\}\}", after))
    fields |= set(re.findall(r"\|\s*(\w+)\s*(?:=~|!~|!=|==|=|>|<)", after))
    return fields - {"line_format", "label_format", "json", "logfmt"}


def logged_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    """Every key of the JSON log lines of a real loop run and a real API request."""
    from marketloop.observe.logging import configure_logging

    configure_logging("debug", "json")
    settings = load_settings(None, {"workspace": tmp_path / "ws"})
    loop = parse_loop("name: t\nsteps:\n  a: {action: noop}\n", "t.yaml")
    service.start_run(settings, loop, inline=True)
    with TestClient(create_app(settings)) as client:
        client.get("/healthz")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    return {key for line in lines for key in line}


def test_logql_panels_use_alloys_labels_and_our_log_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = panel_queries("loki")
    assert queries, "a dashboard shows the logs"
    alloy = (DEPLOY / "alloy" / "config.alloy").read_text()
    keep = re.search(r"stage\.label_keep\s*{\s*values\s*=\s*\[([^\]]*)\]", alloy)
    assert keep
    labels = set(re.findall(r'"(\w+)"', keep.group(1)))
    services = set(yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"])
    fields = logged_fields(tmp_path, capsys)
    assert {"run_id", "loop", "step", "request_id", "event", "level"} <= fields
    # the JSON fields Alloy reads from a line are fields our lines carry
    extracted = re.search(r"stage\.json\s*{\s*expressions\s*=\s*{([^}]*)}", alloy)
    assert extracted
    assert set(re.findall(r'=\s*"(\w+)"', extracted.group(1))) <= fields
    for where, expr in queries:
        selector = logql_selector(expr)
        assert set(selector) <= labels, (where, "labels Alloy does not keep")
        if "service" in selector:
            assert set(selector["service"].split("|")) <= services, where
        if "level" in selector:
            assert set(selector["level"].split("|")) <= LEVELS, where
        assert logql_fields(expr) <= fields, (where, "fields our log lines do not carry")
    # the checks can fail: a label Alloy drops, a field nobody logs
    assert not set(logql_selector('{loop="weekly"}')) <= labels
    assert not logql_fields('{service="worker"} | json | line_format "{{.url}}"') <= fields
