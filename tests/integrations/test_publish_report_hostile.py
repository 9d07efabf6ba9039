"""The HTML report that publishing writes (`reports/publish.html`), fed hostile briefs: script
tags, quotes and ampersands, Rich markup and control characters in titles, outline, terms and
the draft body stay text."""

from __future__ import annotations

import re
from pathlib import Path

from tests.hostile import CONTROL, HTML, MARKUP, assert_html_inert

from marketloop.config import load_settings
from marketloop.demo import DemoRun
from marketloop.integrations.demo import publish_step
from marketloop.workspace import Workspace

from .conftest import make_brief, write_briefs

EVIL = f"{HTML} {MARKUP} {CONTROL}"


def test_hostile_titles_and_bodies_stay_text(workspace: Workspace, tmp_path: Path) -> None:
    brief = make_brief(
        slug="evil",
        title_options=[f"Title {EVIL}"],
        h1=f"H1 {HTML}",
        meta_description=f"Meta {HTML}",
        outline=[{"level": 2, "heading": f"Heading {EVIL}", "notes": f"Notes {HTML}"}],
        questions=[f"Question {HTML}?"],
        call_to_action=f"CTA {HTML}",
    )
    draft = f"# Draft {EVIL}\n\nBody {EVIL}\n\n- item {HTML}\n\n```\n{HTML}\n```\n"
    run = DemoRun(load_settings(overrides={"workspace": workspace.root}), workspace)
    run.outputs["briefs"] = write_briefs(tmp_path / "briefs", brief, drafts={"evil": draft})
    publish_step(run)
    html = run.outputs["published pages"].read_text(encoding="utf-8")
    assert_html_inert(html)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    assert "&#34;quoted&#34; &#39;single&#39; &amp;" in html  # quotes and & escaped
    assert "Title &lt;script&gt;" in html and "Body &lt;script&gt;" in html  # title and body
    assert MARKUP in html  # Rich markup is plain text in HTML
    for tag in re.findall(r"<[^>]*>", html):  # no element or attribute got the text
        assert "alert(1)" not in tag and "'single'" not in tag and "\x07" not in tag, tag
    assert "\x1b" not in html and "\x07" not in html  # control characters never reach the page
