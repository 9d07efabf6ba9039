"""The demo's publishing step, on its sample brief and on a folder from the content step."""

from __future__ import annotations

from pathlib import Path

from marketloop.config import load_settings
from marketloop.demo import STEPS, DemoRun
from marketloop.integrations.demo import publish_step
from marketloop.report import render
from marketloop.workspace import Workspace

from .conftest import make_brief, write_briefs


def test_the_demo_publishes_its_sample_brief(workspace: Workspace) -> None:
    run = DemoRun(load_settings(overrides={"workspace": workspace.root}), workspace)
    publish_step(run)
    report = run.outputs["published pages"].read_text(encoding="utf-8")
    assert "content-brief-template" in report
    assert (
        report.count(">created<") == 1
        and report.count(">updated<") == 1
        and report.count(">sent<") == 1
    )
    assert "Section 20" in report  # the end of a draft longer than one request
    assert any(name.startswith("publish") for name, _ in STEPS)


def test_the_demo_publishes_the_content_steps_briefs(workspace: Workspace, tmp_path: Path) -> None:
    run = DemoRun(load_settings(overrides={"workspace": workspace.root}), workspace)
    run.outputs["briefs"] = write_briefs(
        tmp_path / "briefs", make_brief(), make_brief(slug="b2", cluster="b2")
    )
    publish_step(run)
    report = run.outputs["published pages"].read_text(encoding="utf-8")
    assert report.count(">created<") == 2 and "content-brief-template" not in report


def test_the_publish_report_links_only_web_urls() -> None:
    """Notion data can hold `javascript:` URLs (page url, rich text href): shown, never linked."""

    def text(content: str, href: str | None) -> dict[str, object]:
        plain = dict.fromkeys(("bold", "italic", "strikethrough", "code"), False)
        return {"plain_text": content, "href": href, "annotations": plain}

    page = {
        "url": "javascript:alert(1)",
        "properties": {
            "Name": {"type": "title", "title": [text("A brief", None)]},
            "Notes": {"type": "rich_text", "rich_text": [text("see", " JavaScript:alert(2)")]},
        },
    }
    good = {
        "url": "https://www.notion.so/good",
        "properties": {"Name": {"type": "title", "title": [text("Good", None)]}},
    }
    blocks = [
        {"type": "paragraph", "paragraph": {"rich_text": [text("bad", "java\tscript:alert(3)")]}},
        {"type": "paragraph", "paragraph": {"rich_text": [text("ok", "https://example.com/")]}},
    ]
    html = render(
        "marketloop.integrations",
        "publish_report.html",
        title="t",
        outcomes=[],
        pages=[{"page": page, "blocks": blocks}, {"page": good, "blocks": []}],
        events=[],
        users={},
    )
    assert "script:" not in html.lower()
    assert "A brief" in html and ">see<" not in html and "see" in html and "bad" in html
    assert '<a href="https://www.notion.so/good">Good</a>' in html
    assert '<a href="https://example.com/">ok</a>' in html
