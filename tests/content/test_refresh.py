"""Decaying pages become `update` briefs of the existing URL, once per page."""

from __future__ import annotations

from datetime import date

from marketloop.content.offline import BriefContext, write_brief
from marketloop.content.refresh import with_decaying
from marketloop.keywords.model import Cluster
from marketloop.quality.outcomes import DecayingPage


def _page(url: str, queries: list[str]) -> DecayingPage:
    return DecayingPage(
        page_key=url, url=url, clicks_before=300, clicks_recent=90, clicks_change=-0.7,
        recent_start=date(2026, 11, 1), recent_end=date(2026, 11, 28), queries=queries,
    )  # fmt: skip


def test_a_decaying_page_no_cluster_serves_gets_an_update_brief() -> None:
    served = Cluster(
        cluster="crm software", keywords=["crm software"], page="https://acme.test/crm/",
        status="covered",
    )  # fmt: skip
    decaying = [
        _page("https://www.acme.test/crm", ["crm"]),  # the same page as the cluster's
        _page("https://acme.test/blog/old-guide/", ["old guide", "guide <script>", "old guide"]),
        _page("https://acme.test/blog/quiet", []),
    ]
    clusters, added = with_decaying([served], decaying)
    assert [p.url for p in added] == [decaying[1].url, decaying[2].url]
    assert [c.cluster for c in clusters] == ["crm software", "old guide", "quiet"]
    guide = clusters[1]
    assert guide.keywords == ["old guide", "guide <script>"]
    assert (guide.page, guide.status) == ("https://acme.test/blog/old-guide/", "covered")
    brief = write_brief(guide, BriefContext(clusters=clusters, pages=[]))
    assert (brief.action, brief.target_url) == ("update", "https://acme.test/blog/old-guide/")


def test_nothing_decaying_changes_nothing() -> None:
    clusters = [Cluster(cluster="a", keywords=["a"])]
    assert with_decaying(clusters, []) == (clusters, [])


def test_the_keyword_report_escapes_what_comes_from_search_console() -> None:
    from datetime import UTC, datetime

    from marketloop.keywords.report import render_html
    from marketloop.quality.outcomes import Outcomes

    hostile = _page("javascript:alert(1)", ["<script>x</script>", '=HYPERLINK("a")', "[/]"])
    published = [
        {"slug": "<b>s</b>", "action": "update", "url": "https://a.test/\"'&",
         "published_at": datetime(2026, 11, 2, tzinfo=UTC), "clicks_before": 5,
         "clicks_after": 9, "clicks_since": None, "position_before": 3.0,
         "position_after": None, "sessions_before": 1, "sessions_after": 2,
         "leads_before": 0, "leads_after": 1},
    ]  # fmt: skip
    html = render_html([], [], Outcomes(published, [hostile]))
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<b>s</b>" not in html and "&lt;b&gt;s&lt;/b&gt;" in html
    assert "-70%" in html and "2026-11-02" in html
