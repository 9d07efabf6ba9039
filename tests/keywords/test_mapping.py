from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketloop.crawl.dataset import Manifest
from marketloop.crawl.schema import PAGES as PAGES_SCHEMA
from marketloop.errors import KeywordsError
from marketloop.keywords.mapping import crawl_pages, map_clusters, words
from marketloop.keywords.model import Cluster, KeywordRecord
from marketloop.keywords.search_console import SearchData, read_search_console
from marketloop.quality.readcopy import warehouse_lock
from marketloop.quality.warehouse import Target

from .conftest import SITE, write_warehouse


def read(path: Path) -> SearchData | None:
    return read_search_console(Target("duckdb", path=path))


PAGES = [
    ("/product/lead-scoring", "Lead Scoring Software for B2B Teams", "Lead scoring"),
    (
        "/blog/what-is-lead-scoring",
        "What Is Lead Scoring? A Practical Guide",
        "What is lead scoring",
    ),
    ("/pricing", "Pricing and Plans | Loopmetrics", "Pricing"),
    ("/product/attribution", "Marketing Attribution Reports", "Multi-touch marketing attribution"),
]


def cluster(name: str, *others: str, volume: int = 100) -> Cluster:
    members = [KeywordRecord(keyword=k, volume=volume) for k in (name, *others)]
    return Cluster(cluster=name, keywords=[m.keyword for m in members], members=members)


def test_words_drop_stopwords_and_plurals() -> None:
    assert words("The Best Lead Scoring Tools for a SaaS") == {"lead", "scoring", "tool", "saas"}


def test_crawl_titles_give_covered_and_gap_never_cannibalised(
    crawl_dir: Callable[[Sequence[tuple[str, str, str]]], Path],
) -> None:
    pages = crawl_pages(crawl_dir(PAGES))
    clusters = [
        cluster("lead scoring", "lead scoring tools"),
        cluster("marketing attribution"),
        cluster("webinar software"),
        cluster("pricing"),
    ]
    coverage = map_clusters(clusters, search=None, pages=pages, share=0.2, title_match=0.75)
    by_name = {c.cluster: (c.status, c.page, c.pages) for c in clusters}
    # product page and blog post both match: candidates, but titles are no ranking evidence
    assert by_name["lead scoring"][0] == "covered"
    assert set(by_name["lead scoring"][2]) == {
        SITE + "/product/lead-scoring",
        SITE + "/blog/what-is-lead-scoring",
    }
    assert by_name["marketing attribution"] == (
        "covered",
        SITE + "/product/attribution",
        [SITE + "/product/attribution"],
    )
    assert by_name["webinar software"] == ("gap", None, [])
    assert by_name["pricing"][0] == "covered"
    assert {c.source for c in coverage} == {"crawl", "none"}


def test_crawl_pages_are_the_html_pages_indexable_or_not(tmp_path: Path) -> None:
    """`html_pages` of the shared definitions (crawl/dataset.py): noindex and canonicalised
    pages still count (a person reaches them); errors, non-HTML and unparsed bodies do not."""
    kinds = {
        "indexable": {},
        "xhtml": {"content_type": "application/xhtml+xml"},
        "noindex": {"meta_robots": "noindex"},
        "canonicalised": {"canonical": f"{SITE}/indexable"},
        "gone": {"status": 404},
        "pdf": {"content_type": "application/pdf"},
        "binary": {"parse_error": "binary content served as HTML"},
        "partner": {"is_internal": False},
    }
    rows = [
        {"url": f"{SITE}/{name}", "is_internal": True, "status": 200, "content_type": "text/html",
         "titles": [f"Lead scoring {name}"], **fields}
        for name, fields in kinds.items()
    ]  # fmt: skip
    folder = tmp_path / "crawl"
    (folder / "pages").mkdir(parents=True)
    table = pa.Table.from_pylist(rows, schema=PAGES_SCHEMA)
    pq.write_table(table, folder / "pages" / "part-00000.parquet")
    Manifest(crawl_id="c", start_url=SITE + "/", started_at=datetime.now(UTC)).write(folder)
    found = [page.url.removeprefix(SITE) for page in crawl_pages(folder)]
    assert found == ["/canonicalised", "/indexable", "/noindex", "/xhtml"]


def test_search_console_shares_decide_when_present(tmp_path: Path) -> None:
    warehouse = write_warehouse(
        tmp_path / "warehouse.duckdb",
        [
            ("lead scoring", "/product/lead-scoring", 700),
            ("Lead  Scoring", "/blog/what-is-lead-scoring", 100),  # same query, other case
            ("lead scoring tools", "/blog/what-is-lead-scoring", 200),
            ("marketing attribution", "/product/attribution", 950),
            ("marketing attribution", "/blog/attribution-models", 50),
        ],
    )
    search = read(warehouse)
    assert search is not None
    assert search.queries["lead scoring"].impressions == 800  # two days × two pages summed
    clusters = [cluster("lead scoring", "lead scoring tools"), cluster("marketing attribution")]
    coverage = map_clusters(clusters, search=search, pages=None, share=0.2, title_match=0.75)
    lead, attribution = clusters
    assert lead.status == "cannibalised"  # 700 vs 300 of 1000: both ≥ 20%
    assert lead.page == SITE + "/product/lead-scoring"
    assert coverage[0].pages == [
        (SITE + "/product/lead-scoring", 0.7),
        (SITE + "/blog/what-is-lead-scoring", 0.3),
    ]
    assert attribution.status == "covered"  # the blog post holds only 5%
    assert attribution.pages == [SITE + "/product/attribution", SITE + "/blog/attribution-models"]
    assert coverage[1].source == "search console"


def test_share_threshold_is_configurable(tmp_path: Path) -> None:
    search = read(write_warehouse(tmp_path / "w.duckdb", [("crm", "/a", 900), ("crm", "/b", 100)]))
    strict, loose = cluster("crm"), cluster("crm")
    map_clusters([strict], search=search, pages=None, share=0.2, title_match=0.75)
    map_clusters([loose], search=search, pages=None, share=0.1, title_match=0.75)
    assert (strict.status, loose.status) == ("covered", "cannibalised")


def test_keyword_file_urls_are_evidence_without_search_console() -> None:
    members = [
        KeywordRecord(keyword="ab testing", volume=500, url=SITE + "/ab", position=7),
        KeywordRecord(keyword="ab test tool", volume=300, url=SITE + "/tools", position=12),
    ]
    found = Cluster(cluster="ab testing", keywords=["ab testing", "ab test tool"], members=members)
    coverage = map_clusters([found], search=None, pages=None, share=0.2, title_match=0.75)
    assert (found.status, found.page, coverage[0].source) == (
        "cannibalised",
        SITE + "/ab",
        "keyword file",
    )


def test_keyword_file_urls_without_a_position_cover_but_do_not_split() -> None:
    members = [
        KeywordRecord(keyword="ab testing", volume=500, url=SITE + "/ab", position=7),
        KeywordRecord(keyword="ab test tool", volume=300, url=SITE + "/tools"),  # not ranking
    ]
    found = Cluster(cluster="ab testing", keywords=["ab testing", "ab test tool"], members=members)
    coverage = map_clusters([found], search=None, pages=None, share=0.2, title_match=0.75)
    assert (found.status, found.page, found.pages) == (
        "covered",
        SITE + "/ab",
        [SITE + "/ab", SITE + "/tools"],
    )
    assert coverage[0].source == "keyword file"


def test_search_console_overrules_title_candidates(
    crawl_dir: Callable[[Sequence[tuple[str, str, str]]], Path], tmp_path: Path
) -> None:
    """Both lead scoring pages match by title, but only one gets the impressions."""
    pages = crawl_pages(crawl_dir(PAGES))
    search = read(
        write_warehouse(tmp_path / "w.duckdb", [("lead scoring", "/product/lead-scoring", 900)])
    )
    found = cluster("lead scoring")
    map_clusters([found], search=search, pages=pages, share=0.2, title_match=0.75)
    assert (found.status, found.pages) == ("covered", [SITE + "/product/lead-scoring"])


def test_no_warehouse_or_no_table_means_no_search_data(tmp_path: Path) -> None:
    assert read(tmp_path / "missing.duckdb") is None
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert read(empty) is None


def test_a_warehouse_held_by_a_writer_is_a_transient_error(tmp_path: Path) -> None:
    path = write_warehouse(tmp_path / "w.duckdb", [("crm", "/a", 10)])
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('ok', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(KeywordsError) as caught:
            read(path)
        assert caught.value.transient and "try again" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()


def test_search_console_fills_missing_positions(tmp_path: Path) -> None:
    from marketloop.keywords.run import with_positions

    search = read(write_warehouse(tmp_path / "w.duckdb", [("crm", "/a", 100)]))
    notes: list[str] = []
    records = [
        KeywordRecord(keyword="CRM", volume=10),
        KeywordRecord(keyword="crm sync", volume=10),
        KeywordRecord(keyword="crm", volume=10, position=2),
    ]
    filled = with_positions(records, search, notes)
    assert [r.position for r in filled] == [5.5, None, 2]  # days at positions 5 and 6
    assert notes == ["took the current position of 1 keyword(s) from Search Console"]


def test_search_console_is_read_while_a_writer_thread_of_this_process_holds_the_file(
    tmp_path: Path,
) -> None:
    # a worker runs a reading step (keywords) beside a writing one (ingest) in its threads:
    # DuckDB refuses a read-only open of a file this process has open read-write, so the
    # reader must go to the read copy (quality/readcopy.py), the last finished write
    warehouse = write_warehouse(tmp_path / "w.duckdb", [("crm", "/a", 900), ("crm", "/b", 100)])
    before = read(warehouse)
    with warehouse_lock(warehouse), duckdb.connect(str(warehouse)) as writer:
        writer.execute("DELETE FROM gsc.search_analytics")
        with pytest.raises(duckdb.ConnectionException, match="different configuration"):
            duckdb.connect(str(warehouse), read_only=True)
        during = read(warehouse)
    assert before is not None and during == before  # the state of the last finished write
