"""Fixtures of the publishing tests: a fake Notion and a webhook receiver on 127.0.0.1, settings
that point at them, and briefs on disk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from marketloop.config import Settings, load_settings
from marketloop.content.brief import Brief
from marketloop.fakes.notion import BRIEF_SCHEMA, NotionFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.webhook_receiver import WebhookReceiver
from marketloop.workspace import Workspace

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks test vector


@dataclass
class Notion:
    fake: NotionFake
    url: str
    database_id: str
    source_id: str

    def pages(self) -> list[dict[str, Any]]:
        return self.fake.pages_in(self.source_id)

    def writes(self) -> list[tuple[str, str]]:
        return [
            (m, p)
            for m, p in self.fake.requests
            if m in {"POST", "PATCH", "DELETE"} and not p.endswith("/query")
        ]


@dataclass
class Receiver:
    fake: WebhookReceiver
    url: str  # a hook URL on the receiver
    sleeps: list[float] = field(default_factory=list)


@pytest.fixture
def notion() -> Iterator[Notion]:
    fake = NotionFake()
    fake.knobs.rate = None  # tests that want the rate limit switch it on
    database_id, source_id = fake.add_database("Content briefs", BRIEF_SCHEMA)
    with LocalServer(fake.app) as server:
        yield Notion(fake, server.url, database_id, source_id)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    fake = WebhookReceiver(SECRET)
    with LocalServer(fake.app) as server:
        yield Receiver(fake, f"{server.url}/hooks/zap/AbC123")


def make_settings(
    workspace: Workspace,
    notion: Notion | None = None,
    receiver: Receiver | None = None,
    **extra: Any,
) -> Settings:
    overrides: dict[str, Any] = {"workspace": workspace.root, **extra}
    if notion is not None:
        overrides["notion"] = {
            "token": notion.fake.token,
            "database_id": notion.database_id,
            "base_url": notion.url,
            "rate": 1000,
            "burst": 100,
            "backoff": 0.01,
            **overrides.get("notion", {}),
        }
    if receiver is not None:
        overrides["webhooks"] = {
            "urls": [receiver.url],
            "secret": SECRET,
            "backoff": 0.01,
            **overrides.get("webhooks", {}),
        }
    return load_settings(overrides=overrides)


def brief_data(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "slug": "crm-software",
        "cluster": "crm software",
        "title_options": ["CRM software: a buyer's guide", "Choosing a CRM"],
        "meta_description": "How to choose CRM software.",
        "h1": "CRM software",
        "outline": [
            {"level": 2, "heading": "What a CRM does", "notes": "Contacts, deals, **pipelines**."},
            {"level": 3, "heading": "Who needs one"},
        ],
        "primary_terms": [{"term": "crm software", "min_count": 3, "max_count": 6}],
        "secondary_terms": [{"term": "sales pipeline"}],
        "questions": ["What does a CRM cost?"],
        "intent": "commercial",
        "audience": "B2B marketing leads",
        "word_count_min": 1200,
        "word_count_max": 1800,
        "internal_links": [{"anchor": "pricing", "url": "https://example.com/pricing"}],
        "call_to_action": "Book a demo",
        "sources": ["https://example.com/report"],
        "opportunity": 6.25,
        "status": "ready",
        "owner": "ada@example.com",
    }
    return {**base, **overrides}


def make_brief(**overrides: Any) -> Brief:
    return Brief.model_validate(brief_data(**overrides))


def long_draft(sections: int) -> str:
    """Markdown of 5 blocks per section (heading, paragraph, two bullets, quote)."""
    return "\n".join(
        f"## Part {n}\n\nText of part {n} with a [link](https://example.com/{n}).\n\n"
        f"- first {n}\n- second {n}\n\n> quote {n}\n"
        for n in range(sections)
    )


def write_briefs(folder: Path, *briefs: Brief, drafts: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for brief in briefs:
        (folder / f"{brief.slug}.json").write_text(brief.model_dump_json(), encoding="utf-8")
    for slug, draft in (drafts or {}).items():
        (folder / f"{slug}.md").write_text(draft, encoding="utf-8")
    return folder
