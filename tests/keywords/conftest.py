"""Fixtures of the keyword stage: a small crawl dataset and a warehouse with Search Console
rows, both written in the contract shapes (crawl/schema.py, the warehouse's gsc table); the
fake OpenAI server (one per session, knobs reset per test) for `--intent llm`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketloop.appdb import dispose_all
from marketloop.crawl.dataset import Manifest
from marketloop.crawl.schema import PAGES
from marketloop.fakes import openai_output
from marketloop.fakes.openai import FakeOpenAI, Knobs
from marketloop.fakes.server import LocalServer

SITE = "https://www.loopmetrics.example"

PageSpec = tuple[str, str, str]  # (path, title, h1)
GscRow = tuple[str, str, int]  # (query, page path, impressions)


def write_crawl(folder: Path, pages: Sequence[PageSpec], status: int = 200) -> Path:
    (folder / "pages").mkdir(parents=True)
    rows = [
        {
            "url": SITE + path,
            "host": "www.loopmetrics.example",
            "depth": 1,
            "found_via": "link",
            "is_internal": True,
            "blocked_by_robots": False,
            "status": status,
            "content_type": "text/html",
            "titles": [title],
            "h1": [h1],
        }
        for path, title, h1 in pages
    ]
    pq.write_table(
        pa.Table.from_pylist(rows, schema=PAGES), folder / "pages" / "part-00000.parquet"
    )
    Manifest(
        crawl_id=folder.name,
        start_url=SITE + "/",
        status="finished",
        started_at=datetime(2025, 1, 1, tzinfo=UTC),
    ).write(folder)
    return folder


GSC_TABLE = """CREATE TABLE gsc.search_analytics (
    site_url VARCHAR, search_type VARCHAR, date DATE, query VARCHAR, page VARCHAR,
    country VARCHAR, device VARCHAR, clicks BIGINT, impressions BIGINT, ctr DOUBLE PRECISION,
    position DOUBLE PRECISION, data_state VARCHAR, _dlt_load_id VARCHAR, _dlt_id VARCHAR)"""


def gsc_rows(rows: Sequence[GscRow]) -> list[tuple[Any, ...]]:
    """Rows of gsc.search_analytics: two days, two devices per row spec (the reader sums them)."""
    return [
        (
            "sc-domain:loopmetrics.example", "web", date(2025, 1, day), query, SITE + page, "usa",
            "DESKTOP" if day == 1 else "MOBILE", impressions // 40, impressions // 2, 0.05,
            4.0 + day, "final", "1", f"{n}-{day}",
        )
        for n, (query, page, impressions) in enumerate(rows)
        for day in (1, 2)
    ]  # fmt: skip


def write_warehouse(path: Path, rows: Sequence[GscRow]) -> Path:
    """A DuckDB warehouse file holding `rows` in gsc.search_analytics."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA gsc")
    con.execute(GSC_TABLE)
    con.executemany(
        f"INSERT INTO gsc.search_analytics VALUES ({', '.join('?' * 14)})", gsc_rows(rows)
    )
    con.close()
    return path


def write_postgres(url: str, rows: Sequence[GscRow]) -> None:
    """The same table in a PostgreSQL warehouse."""
    import psycopg

    with psycopg.connect(url) as con:
        con.execute("CREATE SCHEMA gsc")
        con.execute(GSC_TABLE)
        con.cursor().executemany(
            f"INSERT INTO gsc.search_analytics VALUES ({', '.join(['%s'] * 14)})", gsc_rows(rows)
        )


@pytest.fixture
def crawl_dir(tmp_path: Path) -> Callable[[Sequence[PageSpec]], Path]:
    def make(pages: Sequence[PageSpec]) -> Path:
        return write_crawl(tmp_path / "crawls" / "site-20250101T000000Z", pages)

    return make


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[tuple[FakeOpenAI, LocalServer]]:
    fake = FakeOpenAI()
    with LocalServer(fake.app()) as server:
        yield fake, server


@pytest.fixture
def llm_env(
    _fake_server: tuple[FakeOpenAI, LocalServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> FakeOpenAI:
    """The fake with default knobs and no recorded requests, and MARKETLOOP_* variables pointing
    the LLM layer at it (fast retries, intent llm)."""
    fake, server = _fake_server
    fake.knobs = Knobs()
    fake.requests.clear()
    fake.calls = 0
    fake._window.clear()
    env = {
        "MARKETLOOP_WORKSPACE": str(tmp_path / "ws"),
        "MARKETLOOP_LLM_BASE_URL": server.url + "/v1",
        "MARKETLOOP_LLM_API_KEY": "sk-fake",
        "MARKETLOOP_LLM_BACKOFF": "0.01",
        "MARKETLOOP_LLM_TIMEOUT": "5",
        "MARKETLOOP_KEYWORDS_INTENT": "llm",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    dispose_all()
    return fake


Answer = dict[str, Any]


@pytest.fixture
def edit_answers(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[Answer], None]], None]:
    """Change what the fake answers: `edit(fn)` runs `fn` on every JSON answer it builds (the
    server thread calls the module's function at request time)."""
    original = openai_output.from_schema

    def edit(change: Callable[[Answer], None]) -> None:
        def patched(schema: Any, messages: Any) -> Any:
            value = original(schema, messages)
            change(value)
            return value

        monkeypatch.setattr(openai_output, "from_schema", patched)

    return edit
