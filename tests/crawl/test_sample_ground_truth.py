"""The sample site's ground truth is exact: a crawl of it shows every seeded defect, and only
those, under the conventions of the reference oracle (and docs/crawl.md)."""

from __future__ import annotations

import re

from marketloop.crawl.dataset import CrawlDataset
from marketloop.sample import RunningSite

from .oracle import issues

CHECK_IDS = {
    "critical": "server_error broken_link no_response redirect_loop missing_title "
    "canonical_to_non_indexable insecure_http mixed_content hreflang_broken sitemap_over_limit",
    "warning": "redirect_chain blocked_by_robots noindex missing_canonical duplicate_title "
    "missing_meta_description missing_h1 duplicate_content near_duplicate soft_404 "
    "image_missing_alt orphan_page non_indexable_in_sitemap invalid_structured_data "
    "no_internal_outlinks slow_response",
    "notice": "redirect canonicalised title_too_long title_too_short duplicate_meta_description "
    "meta_description_length multiple_h1 low_content large_image image_missing_size deep_page "
    "url_hygiene non_descriptive_anchor missing_security_headers",
}


def test_every_check_of_the_issue_has_a_seeded_defect(sample_site: RunningSite) -> None:
    seeded = {d.check for d in sample_site.defects}
    every = {check for ids in CHECK_IDS.values() for check in ids.split()}
    assert len(every) == 40
    assert every <= seeded, f"no seeded defect for {sorted(every - seeded)}"


def test_crawl_finds_every_seeded_defect_and_nothing_else(
    sample_site: RunningSite, sample_crawl: CrawlDataset
) -> None:
    expected = {(d.check, d.url) for d in sample_site.defects}
    found = issues(sample_crawl)
    assert sorted(expected - found) == [], "seeded but not visible in the crawl"
    assert sorted(found - expected) == [], "raised on a page that should be clean"


def test_defect_urls_are_absolute_urls_of_the_running_site(sample_site: RunningSite) -> None:
    for defect in sample_site.defects:
        assert re.match(r"https?://127\.0\.0\.1:\d+/", defect.url), defect
        assert defect.note
