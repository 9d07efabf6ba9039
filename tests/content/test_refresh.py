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
