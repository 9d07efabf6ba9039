"""Fixtures of the ingest tests: the fakes on 127.0.0.1, settings pointing at them, and ways
to read the warehouse back (DuckDB file or PostgreSQL) without going through our code."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import structlog

from marketloop.config import Settings, load_settings
from marketloop.crawl.dataset import Manifest
from marketloop.crawl.schema import PAGES
from marketloop.fakes.common import DEFAULT_PATHS
from marketloop.fakes.ga4 import Ga4Fake
from marketloop.fakes.google_token import GoogleTokens
from marketloop.fakes.gsc import GscFake
from marketloop.fakes.hubspot import HubspotFake
from marketloop.fakes.hubspot_data import HubspotData
from marketloop.fakes.server import LocalServer
from marketloop.workspace import Workspace

TODAY = date(2024, 6, 30)
PROPERTY = "123456789"
HOST = "www.example.com"
SITE = f"https://{HOST}/"
URLS = [f"https://{HOST}{path}" for path in DEFAULT_PATHS]
HUBSPOT_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A CLI run configures logging onto the test's captured stderr; undo that afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _no_ambient_google_credentials(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Application Default Credentials find nothing unless a test puts them there: no
    GOOGLE_APPLICATION_CREDENTIALS, an empty gcloud folder, no metadata server probe."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path_factory.mktemp("gcloud")))
    monkeypatch.setenv("NO_GCE_CHECK", "True")


@dataclass
class Google:
    tokens: GoogleTokens
    token_url: str
    key_file: Path

    @property
    def iam_url(self) -> str:
        return self.token_url.removesuffix("/token")


@pytest.fixture(scope="session")
def google(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Google]:
    """Google's token endpoint, and a service-account key it trusts (RSA keys are slow to make)."""
    tokens = GoogleTokens()
    with LocalServer(tokens.app()) as server:
        key = tokens.create_service_account(
            tmp_path_factory.mktemp("google") / "key.json", token_uri=server.url + "/token"
        )
        yield Google(tokens, server.url + "/token", key)


@dataclass
class Fakes:
    ga4: Ga4Fake
    gsc: GscFake
    hubspot: HubspotFake
    urls: dict[str, str]


@pytest.fixture
def fakes(google: Google) -> Iterator[Fakes]:
    ga4 = Ga4Fake(google.tokens, {PROPERTY: (HOST, DEFAULT_PATHS)}, today=TODAY)
    gsc = GscFake(google.tokens, {SITE: URLS}, today=TODAY)
    hubspot = HubspotFake({HUBSPOT_TOKEN}, HubspotData(urls=URLS))
    with LocalServer(ga4.app()) as a, LocalServer(gsc.app()) as b, LocalServer(hubspot.app()) as c:
        yield Fakes(ga4, gsc, hubspot, {"ga4": a.url, "gsc": b.url, "hubspot": c.url})


def make_settings(
    workspace: Workspace,
    fakes: Fakes,
    google: Google,
    postgres_url: str | None = None,
    **sections: Any,
) -> Settings:
    """Settings that point every source at the fakes (and the warehouse at PostgreSQL if given)."""
    overrides: dict[str, Any] = {
        "workspace": str(workspace.root),
        "google": {"credentials_file": str(google.key_file)},
        "ga4": {"base_url": fakes.urls["ga4"], "backoff": 0.01},
        "gsc": {"base_url": fakes.urls["gsc"], "backoff": 0.01},
        "hubspot": {"base_url": fakes.urls["hubspot"], "token": HUBSPOT_TOKEN, "backoff": 0.01},
    }
    if postgres_url:
        overrides["warehouse"] = {"destination": "postgres", "credentials": postgres_url}
    for name, values in sections.items():
        overrides[name] = {**overrides.get(name, {}), **values}
    return load_settings(overrides=overrides)


@pytest.fixture
def settings(workspace: Workspace, fakes: Fakes, google: Google) -> Settings:
    return make_settings(workspace, fakes, google)


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Read the warehouse directly (never through marketloop), then close it."""
    if settings.warehouse.destination == "postgres":
        import psycopg

        assert settings.warehouse.credentials is not None
        with psycopg.connect(settings.warehouse.credentials.get_secret_value()) as con:
            return list(con.execute(sql).fetchall())
    con = duckdb.connect(str(Workspace(settings.workspace).warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def snapshot(settings: Settings, *tables: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables (without dlt's load ids), sorted: equal snapshots, equal data."""
    found = {}
    for table in tables:
        schema, name = table.split(".")
        columns = query(
            settings,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            f"'{schema}' AND table_name = '{name}' "
            "AND column_name NOT IN ('_dlt_load_id', '_dlt_id') ORDER BY ordinal_position",
        )
        listed = ", ".join(f'"{column}"' for (column,) in columns)
        found[table] = sorted(query(settings, f"SELECT {listed} FROM {table}"), key=repr)
    return found


def make_crawl(
    workspace: Workspace,
    pages: list[dict[str, Any]],
    issues: list[dict[str, Any]] | None,
    when: datetime = datetime(2024, 6, 30, tzinfo=UTC),
) -> Path:
    """A small crawl dataset folder in the workspace, as the crawler writes it."""
    folder = workspace.new_crawl_dir(HOST, when)
    (folder / "pages").mkdir(parents=True)
    written = {"is_internal": True, "blocked_by_robots": False}  # the crawler's pages rows
    rows = [{name: {**written, **page}.get(name) for name in PAGES.names} for page in pages]
    pq.write_table(
        pa.Table.from_pylist(rows, schema=PAGES), folder / "pages" / "part-00000.parquet"
    )
    if issues is not None:
        pq.write_table(pa.Table.from_pylist(issues), folder / "issues.parquet")
    Manifest(
        crawl_id=folder.name,
        start_url=SITE,
        status="finished",
        started_at=when,
    ).write(folder)
    return folder
