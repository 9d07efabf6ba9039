"""The dashboard's crawl comparison: counts for every list, the first rows of each, and a note
for the rows left out; hostile URLs and titles stay text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import CRAWL_ID
from tests.audit.builder import Site
from tests.hostile import HTML, assert_html_inert

from marketloop.web.routes import site
from marketloop.workspace import Workspace

LATER = "example.com-20250215T093000Z"


def test_compare_shows_the_first_rows_and_counts_the_rest(
    seeded: Workspace, client: TestClient, login: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = [{"page": {"url": f"/0-new-{n}?x=<script>alert(1)</script>", "h1": [],
                       "titles": [HTML]}} for n in range(3)]  # fmt: skip
    Site.clean().apply(pages).write(seeded.crawls_dir / LATER)
    monkeypatch.setattr(site, "COMPARE_ROWS", 1)
    login("viewer")
    html = client.get(f"/site/compare?old={CRAWL_ID}&new={LATER}").text
    assert_html_inert(html)
    assert "<h2>Added pages (3)</h2>" in html
    assert "Showing the first 1; 2 more are not shown." in html
    added = html[html.index("<h2>Added pages") :].split("</ul>")[0]
    assert len(re.findall("<li>", added)) == 1
