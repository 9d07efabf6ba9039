"""Fixtures of the create stage: the fake OpenAI server (one per session, knobs reset per
test), settings pointing at it, and a small hand-made crawl dataset."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketloop.appdb import dispose_all
from marketloop.config import Settings, load_settings
from marketloop.crawl.dataset import Manifest
from marketloop.crawl.schema import LINKS, PAGES
from marketloop.fakes.openai import FakeOpenAI, Knobs
from marketloop.fakes.server import LocalServer
from marketloop.keywords.model import Cluster, KeywordRecord

SITE = "https://acme.test"


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[tuple[FakeOpenAI, LocalServer]]:
    fake = FakeOpenAI()
    with LocalServer(fake.app()) as server:
        yield fake, server


@pytest.fixture
def fake_openai(_fake_server: tuple[FakeOpenAI, LocalServer]) -> FakeOpenAI:
    """The fake with default knobs and no recorded requests."""
    fake, _ = _fake_server
    fake.knobs = Knobs()
    fake.requests.clear()
    fake.calls = 0
    fake._window.clear()
    return fake


@pytest.fixture
def llm_env(
    fake_openai: FakeOpenAI,
    _fake_server: tuple[FakeOpenAI, LocalServer],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> FakeOpenAI:
    """MARKETLOOP_* variables pointing the LLM layer at the fake, with fast retries."""
    _, server = _fake_server
    env = {
        "MARKETLOOP_WORKSPACE": str(tmp_path / "ws"),
        "MARKETLOOP_LLM_PROVIDER": "openai",
        "MARKETLOOP_LLM_BASE_URL": server.url + "/v1",
        "MARKETLOOP_LLM_API_KEY": "sk-fake",
        "MARKETLOOP_LLM_BACKOFF": "0.01",
        "MARKETLOOP_LLM_TIMEOUT": "5",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    dispose_all()
    return fake_openai


@pytest.fixture
def settings(llm_env: FakeOpenAI) -> Settings:
    return load_settings()


def crm_cluster(**overrides: Any) -> Cluster:
    keywords = [
        ("crm software", 5000, 60),
        ("best crm software", 1200, 70),
        ("crm software for small business", 900, 55),
        ("crm software pricing", 700, 40),
        ("what is crm software", 600, 30),
        ("free crm software", 800, 50),
        ("how to choose crm software", 200, 30),
    ]
    values: dict[str, Any] = {
        "cluster": "crm software",
        "keywords": [k for k, _, _ in keywords],
        "members": [KeywordRecord(keyword=k, volume=v, difficulty=d) for k, v, d in keywords],
        "intent": "commercial",
        "volume": sum(v for _, v, _ in keywords),
        "opportunity": 7.5,
        **overrides,
    }
    return Cluster(**values)


@pytest.fixture
def crm() -> Cluster:
    return crm_cluster()


def write_crawl(folder: Path, pages: list[dict[str, Any]], links: list[dict[str, Any]]) -> Path:
    """A crawl dataset in the contract's layout (crawl/schema.py) from a few rows."""
    for table in ("pages", "links"):
        (folder / table).mkdir(parents=True, exist_ok=True)
    base = {"host": "acme.test", "is_internal": True, "status": 200, "content_type": "text/html"}
    page_rows = [{**base, **row} for row in pages]
    pq.write_table(
        pa.Table.from_pylist(page_rows, schema=PAGES), folder / "pages/part-00000.parquet"
    )
    link_base = {"kind": "a", "is_internal": True, "nofollow": False, "in_main": True}
    link_rows = [{**link_base, **row} for row in links]
    pq.write_table(
        pa.Table.from_pylist(link_rows, schema=LINKS), folder / "links/part-00000.parquet"
    )
    Manifest(
        crawl_id="test", start_url=SITE + "/", status="finished", started_at=datetime.now(UTC)
    ).write(folder)
    return folder


@pytest.fixture
def crawl_dir(tmp_path: Path) -> Path:
    """A small site: home, a CRM landing page, pricing, two blog posts, a noindex page, a 404."""
    pages = [
        {"url": f"{SITE}/", "titles": ["Acme: marketing software"], "h1": ["Acme"]},
        {
            "url": f"{SITE}/crm",
            "titles": ["CRM software for small business | Acme"],
            "h1": ["CRM for small business"],
        },
        {"url": f"{SITE}/pricing", "titles": ["Pricing | Acme"], "h1": ["Acme pricing"]},
        {
            "url": f"{SITE}/blog/crm-tips",
            "titles": ["10 CRM tips for sales teams"],
            "h1": ["CRM tips for sales teams"],
        },
        {
            "url": f"{SITE}/blog/email-automation",
            "titles": ["Email marketing automation guide"],
            "h1": ["Email automation"],
        },
        {
            "url": f"{SITE}/crm-old",
            "titles": ["CRM software pricing (old)"],
            "h1": ["CRM software pricing"],
            "meta_robots": "noindex",
        },
        {"url": f"{SITE}/gone", "status": 404, "titles": ["CRM software free"], "h1": []},
    ]
    links = [
        {"from_url": f"{SITE}/", "to_url": f"{SITE}/crm"},
        {"from_url": f"{SITE}/", "to_url": f"{SITE}/pricing"},
        {"from_url": f"{SITE}/", "to_url": f"{SITE}/blog/crm-tips"},
        {"from_url": f"{SITE}/pricing", "to_url": f"{SITE}/blog/crm-tips"},
        {"from_url": f"{SITE}/blog/email-automation", "to_url": f"{SITE}/blog/crm-tips"},
        {"from_url": f"{SITE}/crm", "to_url": f"{SITE}/pricing"},
    ]
    return write_crawl(tmp_path / "crawl", pages, links)
