"""A seeded workspace (a crawl with its audit, clusters, briefs, eval runs, a warehouse with
marts and a health report, the example plan), apps built from settings, and keys per scope."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.audit.builder import Site

from marketloop.api.app import create_app
from marketloop.api.keys import create_key
from marketloop.api.scopes import Scope
from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url, load_settings
from marketloop.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "examples" / "plans" / "ai-marketing-sprint.yaml"
CRAWL_ID = "example.com-20250115T093000Z"
HOSTILE_TITLE = '=HYPERLINK("http://evil.example","<script>x</script>") [/] "\'&'
#: a custom extraction's value as a hostile page could have it: HTML, quotes, Rich markup, a
#: formula prefix (DDE) and control characters
HOSTILE_VALUE = "=cmd|'/c calc'!A1 <script>alert(1)</script> \"'& [/] bell\x07 esc\x1b[2J"


def seed(ws: Workspace) -> None:
    """Everything the read routes serve, made by the stages' own writers."""
    from marketloop.audit.config import AuditSettings
    from marketloop.audit.engine import audit
    from marketloop.content.sample import sample_clusters
    from marketloop.integrations.demo import sample_folder
    from marketloop.keywords.run import write_clusters

    site = Site.clean()
    site.apply(
        [
            {"page": {"url": "/pricing", "titles": [HOSTILE_TITLE]}},
            {"page": {"url": "/blog/missing", "status": 404, "titles": []}},
        ]
    )
    site.extraction("/pricing", "price", ["EUR 19,99", HOSTILE_VALUE], 2)
    site.extraction("/", "price", [], 0)
    site.extraction("/blog", "price", ["EUR 5,00"], 1)
    site.extraction("/pricing", "sku", ["SKU-1"], 1)
    site.extraction("/", "sku", ["SKU-0"], 1)
    folder = site.write(ws.crawls_dir / CRAWL_ID)
    audit(folder, AuditSettings())
    write_clusters(sample_clusters(), ws.root / "clusters.json")
    sample_folder(ws.root / "briefs")
    _warehouse(ws.warehouse_path)


def _warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marketloop_marts")
    con.execute(
        "create table marketloop_marts.page_performance as select * from (values "
        "('example.com/', date '2025-01-01', 10, 100),"
        " ('example.com/', date '2025-01-02', 12, 90),"
        " ('example.com/pricing', date '2025-01-01', 3, 40),"
        " ('example.com/=cmd', date '2025-01-03', 1, 5))"
        " t(page_key, date, clicks, impressions)"
    )
    con.execute(
        "create table marketloop_marts.query_performance as select * from (values "
        "('crm software', date '2025-01-01', 'web', 5, 50))"
        " t(query, date, search_type, clicks, impressions)"
    )
    con.execute(
        "create table marketloop_marts.landing_page_leads as select * from (values "
        "('example.com/', 4, 2), ('example.com/pricing', 1, 0)) t(page_key, contacts, leads)"
    )
    con.execute(
        "create table marketloop_marts.content_performance as select * from (values "
        "('crm-software', -1, date '2025-01-01', 'https://example.com/crm', 3),"
        " ('crm-software', 0, date '2025-01-08', 'https://example.com/crm', 9))"
        " t(slug, week, week_start, url, clicks)"
    )
    con.execute("create schema marketloop_health")
    con.execute(
        "create table marketloop_health.runs (run_id varchar primary key, started_at timestamptz,"
        " finished_at timestamptz, status varchar, warehouse varchar, dbt_version varchar,"
        " report text)"
    )
    con.execute(
        "insert into marketloop_health.runs values ('r1', now(), now(), 'pass', 'duckdb', '1.9',"
        ' \'{"run_id": "r1", "status": "pass"}\')'
    )
    con.close()


def seed_evals(settings: Settings) -> None:
    from marketloop.content.evals import store

    engine = open_app_db(app_db_url(settings))
    store.start_run(
        engine,
        id="ev_1",
        suite="briefs",
        suite_path="examples/evals/briefs.yaml",
        provider="offline",
        variants=["brief@v1"],
        models=["offline"],
        cases=1,
    )
    store.save_result(
        engine,
        "ev_1",
        {
            "case_id": "crm",
            "variant": "brief@v1",
            "model": "offline",
            "passed": True,
            "score": 1.0,
            "assertions": [{"name": "word_count", "passed": True}],
            "judge": None,
            "prompt_versions": {"brief": "v1"},
            "latency_ms": 12.0,
            "error": None,
            "output": None,
        },
    )
    store.finish_run(engine, "ev_1", "finished")


@pytest.fixture(scope="session")
def seed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded once per session (the audit takes a second); each test gets a copy."""
    template = Workspace(tmp_path_factory.mktemp("seed") / "ws").ensure()
    seed(template)
    return template.root


@pytest.fixture
def seeded(workspace: Workspace, seed_template: Path) -> Workspace:
    shutil.copytree(seed_template, workspace.root, dirs_exist_ok=True, symlinks=True)
    return workspace


@pytest.fixture
def make_settings(workspace: Workspace) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"workspace": workspace.root, "plan": {"file": PLAN}}
        values.update(overrides)
        return load_settings(overrides=values)

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def new_key(
    app: FastAPI, *scopes: Scope, name: str = "test", expires: datetime | None = None
) -> str:
    ctx = app.state.api
    key, _ = create_key(ctx.engine, ctx.auth.pepper, name, list(scopes), expires)
    return key


def key_id(app: FastAPI, key: str) -> int:
    from marketloop.api.keys import find_key

    ctx = app.state.api
    info = find_key(ctx.engine, key, ctx.auth.pepper)
    assert info is not None
    return info.id


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(app: FastAPI) -> dict[str, str]:
    """One key per scope, and `all` with every scope."""
    made = {str(s): new_key(app, s, name=f"{s}-key") for s in Scope}
    made["all"] = new_key(app, *Scope, name="all-key")
    return made


TODAY = date(2025, 1, 15)
NOW = datetime(2025, 1, 15, 12, tzinfo=UTC)
