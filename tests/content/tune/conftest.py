"""Fixtures of the tuning tests: a briefs folder written like `briefs generate` writes it
(briefs, drafts, guardrail checks), and settings on a fresh workspace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from marketloop.appdb import dispose_all
from marketloop.content.brief import Brief
from marketloop.content.folder import BriefFolder
from marketloop.content.guardrails import Check
from marketloop.fakes.notion import BRIEF_SCHEMA, NotionFake
from marketloop.fakes.server import LocalServer

HOSTILE = '<script>alert(1)</script> "\'& [/red] =HYPERLINK("x") \x07'


@dataclass(frozen=True)
class Spec:
    slug: str
    cluster: str
    draft: str
    checks: Sequence[bool] = (True, True, True)


def brief(slug: str, cluster: str, **overrides: Any) -> Brief:
    data: dict[str, Any] = {
        "slug": slug,
        "cluster": cluster,
        "title_options": [f"{cluster.title()}: a guide ({slug})"],
        "meta_description": f"Everything about {cluster}, for busy marketing teams today.",
        "h1": f"{cluster.title()} ({slug})",
        "outline": [{"level": 2, "heading": f"What {cluster} is", "notes": "Define it."}],
        "primary_terms": [{"term": cluster, "min_count": 2}],
        "intent": "informational",
        "audience": "B2B marketers",
        "word_count_min": 800,
        "word_count_max": 1200,
        "call_to_action": "Book a demo",
        "owner": "ada@example.com",
    }
    return Brief.model_validate({**data, **overrides})


def draft(title: str, body: str = "") -> str:
    return (
        f"# {title}\n\nAn intro paragraph about {title}.\n\n## Details\n\n{body or 'More text.'}\n"
    )


def write_folder(root: Path, specs: Sequence[Spec]) -> Path:
    folder = BriefFolder(root)
    for spec in specs:
        folder.write_brief(brief(spec.slug, spec.cluster))
        checks = [Check(f"check{i}", ok, "detail") for i, ok in enumerate(spec.checks)]
        folder.write_draft(spec.slug, spec.draft, checks)
    return root


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    monkeypatch.setenv("MARKETLOOP_WORKSPACE", str(ws))
    for name in ("MARKETLOOP_NOTION_TOKEN", "WANDB_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    dispose_all()
    return ws


@dataclass
class NotionEnv:
    fake: NotionFake
    source_id: str
    env: dict[str, str]


@pytest.fixture
def notion_env(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotionEnv]:
    """A fake Notion with the briefs database, and MARKETLOOP_NOTION_* pointing at it."""
    fake = NotionFake()
    fake.knobs.rate = None
    database_id, source_id = fake.add_database("Content briefs", BRIEF_SCHEMA)
    with LocalServer(fake.app) as server:
        env = {
            "MARKETLOOP_NOTION_TOKEN": fake.token,
            "MARKETLOOP_NOTION_DATABASE_ID": database_id,
            "MARKETLOOP_NOTION_BASE_URL": server.url,
            "MARKETLOOP_NOTION_RATE": "1000",
            "MARKETLOOP_NOTION_BURST": "100",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield NotionEnv(fake, source_id, env)
