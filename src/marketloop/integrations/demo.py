"""The demo's publishing step: the demo's briefs to a fake Notion and a local webhook receiver.

Publishes the folder the content step wrote (`run.outputs["briefs"]`), or a sample brief with a
long draft when that step has not run, then publishes again to show that nothing is duplicated,
and sends every brief as a signed event to a receiver that checks the signature. Leaves
`reports/publish.html`: the pages as they landed, block by block.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from marketloop.clikit import console, plain
from marketloop.config import Settings
from marketloop.content.brief import Brief, InternalLink, OutlineItem, TermTarget
from marketloop.fakes.notion import BRIEF_SCHEMA, NotionFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.webhook_receiver import WebhookReceiver
from marketloop.integrations.briefs_folder import read_folder
from marketloop.integrations.publish import Outcome, publish_to_notion, publish_to_webhooks
from marketloop.integrations.signing import new_secret
from marketloop.report import render, write_report

if TYPE_CHECKING:
    from marketloop.demo import DemoRun


def publish_step(run: DemoRun) -> None:
    folder = run.outputs.get("briefs") or sample_folder(run.workspace.root / "demo-briefs")
    entries = read_folder(folder)
    fake = NotionFake()
    fake.knobs.rate, fake.knobs.burst = 20.0, 20
    database_id, source_id = fake.add_database("Content briefs", BRIEF_SCHEMA)
    receiver = WebhookReceiver(new_secret())
    with LocalServer(fake.app) as notion, LocalServer(receiver.app) as hooks:
        settings = _settings(run.settings, fake, database_id, notion.url, receiver, hooks.url)
        first = publish_to_notion(entries, settings)
        again = publish_to_notion(entries, settings)
        sent = publish_to_webhooks(entries, settings)
    _say(first, again, sent, fake, receiver)
    pages = [{"page": page, "blocks": fake.body(page["id"])} for page in fake.pages_in(source_id)]
    html = render(
        "marketloop.integrations",
        "publish_report.html",
        title="Briefs published (demo)",
        outcomes=[o.row() for o in first + again + sent],
        pages=pages,
        events=receiver.events,
        users={user["id"]: user["name"] for user in fake.users},
    )
    run.outputs["published pages"] = write_report(run.workspace.reports_dir / "publish.html", html)


def sample_folder(folder: Path) -> Path:
    """One valid brief with a long Markdown draft (over 100 blocks, so appends are shown)."""
    folder.mkdir(parents=True, exist_ok=True)
    brief = Brief(
        slug="content-brief-template",
        cluster="content brief template",
        title_options=["Content brief template: what to include", "How to write a content brief"],
        meta_description="A content brief template with every section a writer needs.",
        h1="Content brief template",
        outline=[
            OutlineItem(level=2, heading="What a content brief is", notes="Define it in one line."),
            OutlineItem(level=3, heading="Who writes it", notes="SEO lead or editor."),
            OutlineItem(level=2, heading="The sections", notes="Walk through the template."),
        ],
        primary_terms=[TermTarget(term="content brief template", min_count=3, max_count=6)],
        secondary_terms=[TermTarget(term="seo brief"), TermTarget(term="writer brief")],
        questions=["What goes in a content brief?", "How long should a brief be?"],
        intent="informational",
        audience="content marketers",
        word_count_min=1200,
        word_count_max=1800,
        internal_links=[
            InternalLink(anchor="keyword clusters", url="https://example.com/clusters")
        ],
        call_to_action="Start a free trial and generate your first brief.",
        opportunity=7.5,
        owner="ada@example.com",
    )
    (folder / f"{brief.slug}.json").write_text(brief.model_dump_json(indent=2), encoding="utf-8")
    sections = [
        f"## Section {n}\n\nWhy **section {n}** matters, with a [source](https://example.com/{n}).\n\n"
        f"- point one of {n}\n- point two of {n}\n- point three of {n}\n\n> A quote for {n}.\n"
        for n in range(1, 21)
    ]
    draft = (
        "# Content brief template\n\n" + "\n".join(sections) + "\n```python\nprint('done')\n```\n"
    )
    (folder / f"{brief.slug}.md").write_text(draft, encoding="utf-8")
    return folder


def _settings(
    base: Settings,
    fake: NotionFake,
    database_id: str,
    notion_url: str,
    receiver: WebhookReceiver,
    hooks_url: str,
) -> Settings:
    notion = base.notion.model_copy(
        update={
            "token": SecretStr(fake.token),
            "database_id": database_id,
            "data_source_id": None,
            "base_url": notion_url,
            "rate": 20.0,
            "burst": 10,
        }
    )
    webhooks = base.webhooks.model_copy(
        update={"urls": [f"{hooks_url}/hooks/demo"], "secret": SecretStr(receiver.secret)}
    )
    return base.model_copy(update={"notion": notion, "webhooks": webhooks})


def _say(
    first: list[Outcome],
    again: list[Outcome],
    sent: list[Outcome],
    fake: NotionFake,
    receiver: WebhookReceiver,
) -> None:
    def count(outcomes: list[Outcome], action: str) -> int:
        return sum(o.action == action for o in outcomes)

    pages = sum(len(fake.pages_in(s)) for s in fake.sources)
    console.print(
        f"Notion: {count(first, 'created')} pages created, then {count(again, 'updated')} "
        f"re-published in place ({pages} pages in the database, {len(fake.requests)} requests)"
    )
    console.print(
        f"Webhooks: {count(sent, 'sent')} events delivered, {len(receiver.events)} verified by "
        f"the receiver ({receiver.attempts} POSTs)"
    )
    for outcome in first:
        console.print(plain(f"  {outcome.action:>8}  {outcome.brief}  {outcome.link}"))
