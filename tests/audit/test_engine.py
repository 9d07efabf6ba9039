"""Running an audit: settings, stored results, priorities, tickets and bad datasets."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit, run
from marketloop.audit.model import Issue, Severity
from marketloop.audit.overview import overview
from marketloop.audit.priority import PageSignals, priority
from marketloop.audit.registry import REGISTRY, all_checks
from marketloop.audit.store import ISSUES_FILE, META_KEY, read_issues
from marketloop.audit.tickets import tickets
from marketloop.audit.views import open_views
from marketloop.config import Settings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.errors import AuditError, ConfigError, CrawlDatasetError

from .conftest import MakeDataset

SLOW = [{"page": {"url": "/pricing", "response_time_ms": 1500.0}}]


def checks_found(folder: Path, settings: AuditSettings) -> set[tuple[str, str]]:
    return {(i.check, i.url) for i in audit(folder, settings, save=False).issues}


def test_run_is_the_contract_and_stores_issues_with_thresholds(make_dataset: MakeDataset) -> None:
    folder = make_dataset(SLOW)
    issues = run(folder, Settings(audit=AuditSettings(thresholds={"title_too_long": 70})))
    assert [(i.check, i.url) for i in issues] == [("slow_response", "https://example.com/pricing")]
    stored, record = read_issues(folder) or ([], None)
    assert stored == issues
    assert record is not None and record.thresholds["title_too_long"] == 70
    assert record.thresholds["slow_response"] == 1.0
    meta = json.loads(pq.read_schema(folder / ISSUES_FILE).metadata[META_KEY])
    assert meta["crawl_id"] == folder.name and "slow_response" in meta["checks"]
    assert not list(folder.glob(".*.tmp"))


def test_thresholds_from_settings_change_results(make_dataset: MakeDataset) -> None:
    folder = make_dataset(SLOW)
    assert checks_found(folder, AuditSettings(thresholds={"slow_response": 2})) == set()
    strict = checks_found(folder, AuditSettings(thresholds={"slow_response": 0.1}))
    assert {url for check, url in strict if check == "slow_response"} == {
        f"https://example.com{p}"
        for p in ("/", "/pricing", "/blog", "/de/preise", "/blog/first-post")
    }


def test_issue_carries_value_and_the_threshold_in_force(make_dataset: MakeDataset) -> None:
    result = audit(make_dataset(SLOW), AuditSettings(thresholds={"slow_response": 1.2}), save=False)
    (issue,) = result.issues
    assert (issue.value, issue.threshold, issue.severity) == (1.5, 1.2, Severity.warning)
    assert "threshold 1.20 s" in issue.detail


def test_a_check_query_is_matched_by_column_name(
    make_dataset: MakeDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Columns in any order; value and threshold optional (the threshold then is the one in
    force); other columns are left out."""
    sql = "SELECT 'x' AS helper, 'why' AS detail, url FROM pages WHERE url LIKE '%/pricing'"
    monkeypatch.setitem(REGISTRY, "slow_response", replace(REGISTRY["slow_response"], sql=sql))
    result = audit(make_dataset(SLOW), AuditSettings(thresholds={"slow_response": 1.2}), save=False)
    (issue,) = result.issues
    assert (issue.url, issue.detail) == ("https://example.com/pricing", "why")
    assert (issue.value, issue.threshold) == (None, 1.2)


def test_disabled_checks_do_not_run(make_dataset: MakeDataset) -> None:
    result = audit(make_dataset(SLOW), AuditSettings(disabled=["slow_response"]), save=False)
    assert result.issues == []
    assert "slow_response" not in {c.id for c in result.plan.checks}
    assert result.plan.disabled == ["slow_response"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (AuditSettings(disabled=["slow_responses"]), "audit.disabled: unknown"),
        (AuditSettings(thresholds={"nope": 1}), "audit.thresholds: unknown"),
        (AuditSettings(thresholds={"near_duplicate": 50}), "near_duplicate = 50 is out of range"),
        (AuditSettings(thresholds={"slow_response": -1}), "out of range"),
        (AuditSettings(thresholds={"slow_response": float("nan")}), "nan is not a finite"),
        (AuditSettings(thresholds={"large_image": float("inf")}), "inf is not a finite"),
        (AuditSettings(thresholds={"near_duplicate": float("-inf")}), "not a finite number"),
        (
            AuditSettings(thresholds={"meta_description_length_min": 200}),
            "meta_description_length_min = 200 is above "
            "audit.thresholds.meta_description_length = 155",
        ),
        (
            AuditSettings(thresholds={"title_too_short": 50, "title_too_long": 40}),
            "title_too_short = 50 is above audit.thresholds.title_too_long = 40",
        ),
    ],
)
def test_bad_settings_are_config_errors(
    make_dataset: MakeDataset, settings: AuditSettings, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        audit(make_dataset(), settings)


def test_a_selection_runs_only_those_checks_and_stores_nothing(make_dataset: MakeDataset) -> None:
    folder = make_dataset([*SLOW, {"page": {"url": "/blog", "h1": []}}])
    result = audit(folder, AuditSettings(), select=["missing_h1"])
    assert [i.check for i in result.issues] == ["missing_h1"]
    assert not (folder / ISSUES_FILE).exists()


def test_priority_follows_page_importance_and_traffic(make_dataset: MakeDataset) -> None:
    ops = [
        {"page": {"url": "/", "h1": []}},
        {"page": {"url": "/blog/first-post", "h1": []}},
    ]
    folder = make_dataset(ops)
    issues = audit(folder, AuditSettings(), save=False).issues
    assert [i.url for i in issues] == [
        "https://example.com/",
        "https://example.com/blog/first-post",
    ]

    def traffic(urls: object) -> dict[str, float]:
        return {"https://example.com/blog/first-post": 50_000}

    boosted = audit(folder, AuditSettings(), save=False, traffic=traffic).issues
    assert boosted[0].url == "https://example.com/blog/first-post"
    assert boosted[0].priority > issues[1].priority


def test_tickets_group_by_check_and_order_by_impact(make_dataset: MakeDataset) -> None:
    ops = [
        {"page": {"url": p, "meta_descriptions": []}} for p in ("/pricing", "/blog", "/de/preise")
    ]
    ops.append({"page": {"url": "/", "status": 500}})  # the home page is down
    result = audit(make_dataset(ops), AuditSettings(), save=False)
    assert [t.impact for t in result.tickets] == sorted(
        (t.impact for t in result.tickets), reverse=True
    )
    first, second = result.tickets[:2]
    assert (first.check, first.urls) == ("server_error", 1)
    assert (second.check, second.urls) == ("missing_meta_description", 3)
    assert second.impact == pytest.approx(
        sum(i.priority for i in result.issues if i.check == "missing_meta_description")
    )
    assert [i.priority for i in second.examples] == sorted(
        (i.priority for i in second.examples), reverse=True
    )


# --- malformed and unfinished datasets -----------------------------------------------------


def test_missing_manifest(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    with pytest.raises(CrawlDatasetError, match="is not a crawl dataset"):
        audit(tmp_path, AuditSettings())


def test_a_running_crawl_is_audited_with_a_partial_warning(make_dataset: MakeDataset) -> None:
    result = audit(make_dataset([{"manifest_fields": {"status": "running"}}]), AuditSettings())
    assert result.warning is not None
    assert "is running" in result.warning and "part of the site" in result.warning
    finished = audit(make_dataset(), AuditSettings())
    assert finished.warning is None


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"settings": {"max_depth": 2, "max_urls": 1000}}, "limited to depth 2 (--max-depth)"),
        ({"settings": {"max_depth": None, "max_urls": 6}}, "limit of 6 URLs (--max-urls)"),
    ],
)
def test_a_limited_crawl_warns_that_the_sitemap_checks_cannot_judge(
    make_dataset: MakeDataset, fields: dict[str, object], says: str
) -> None:
    result = audit(make_dataset([{"manifest_fields": fields}]), AuditSettings())
    assert result.limited is not None and says in result.limited
    assert "orphan_page and non_indexable_in_sitemap cannot judge" in result.limited
    assert result.warnings == [result.limited]  # the crawl finished: not partial
    narrowed = audit(make_dataset([{"manifest_fields": fields}]), AuditSettings(),
                     select=["orphan_page"], save=False)  # fmt: skip
    assert narrowed.limited is not None and "non_indexable" not in narrowed.limited
    assert audit(make_dataset([{"manifest_fields": fields}]), AuditSettings(),
                 select=["missing_h1"], save=False).limited is None  # fmt: skip


def test_a_crawl_within_its_url_budget_is_not_limited(make_dataset: MakeDataset) -> None:
    ops = [{"manifest_fields": {"settings": {"max_depth": None, "max_urls": 100_000}}}]
    assert audit(make_dataset(ops), AuditSettings()).warnings == []


def test_a_corrupted_part_file_is_a_clear_dataset_error(make_dataset: MakeDataset) -> None:
    folder = make_dataset()
    part = folder / "links" / "part-00000.parquet"
    part.write_bytes(part.read_bytes()[:100])
    with pytest.raises(
        CrawlDatasetError, match=r"links/part-00000.parquet is not readable Parquet"
    ):
        audit(folder, AuditSettings())


def test_corruption_inside_a_part_is_a_dataset_error(make_dataset: MakeDataset) -> None:
    folder = make_dataset()
    part = folder / "pages" / "part-00000.parquet"
    data = bytearray(part.read_bytes())
    data[200:2000] = b"\x55" * 1800  # the footer survives, the column chunks do not
    part.write_bytes(bytes(data))
    with pytest.raises(CrawlDatasetError, match=f"cannot read crawl {folder.name}"):
        audit(folder, AuditSettings())


def test_a_part_without_contract_columns_is_rejected(make_dataset: MakeDataset) -> None:
    folder = make_dataset()
    part = folder / "images" / "part-00000.parquet"
    pq.write_table(pq.read_table(part).drop_columns(["alt"]), part)
    with pytest.raises(CrawlDatasetError, match="lacks columns alt"):
        audit(folder, AuditSettings())


def test_a_read_only_dataset_cannot_store_but_says_why(
    make_dataset: MakeDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_dataset()

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pq, "write_table", refuse)
    with pytest.raises(AuditError, match=r"cannot write .*issues\.parquet: Permission denied"):
        audit(folder, AuditSettings())


def test_the_overview_counts_the_shared_indexability_reasons(make_dataset: MakeDataset) -> None:
    """The report's chart reads `indexability` (crawl/dataset.py): an HTML page whose body could
    not be parsed is not counted indexable, as it is not in `indexable_pages`."""
    folder = make_dataset(
        [
            {"page": {"url": "/binary", "parse_error": "binary content served as HTML"}},
            {"page": {"url": "/guide.pdf", "content_type": "application/pdf", "canonical": None}},
            {"page": {"url": "/gone", "status": 404}},
            {"page": {"url": "/thanks", "x_robots_tag": "NOINDEX"}},
        ]
    )
    counts = dict(overview(CrawlDataset.open(folder)).indexability)
    assert counts == {
        "indexable": 5,
        "redirect": 1,
        "HTML not parsed": 1,
        "not HTML": 1,
        "client error (4xx)": 1,
        "noindex": 1,
    }


#: the signals of priority.importance, read the way the engine did before it computed them in
#: SQL: the reference the SQL must match to the last bit
REFERENCE_SIGNALS = """
SELECT s.url, s.depth, coalesce(r.n, 0), m.url IS NOT NULL,
       coalesce(s.html AND s.status = 200 AND s.blocker IS NOT NULL, false)
FROM page_state s LEFT JOIN refs r USING (url) LEFT JOIN in_sitemap m USING (url)
"""


def test_priorities_computed_in_sql_equal_the_python_formula(make_dataset: MakeDataset) -> None:
    ops = [
        {"page": {"url": "/pricing", "titles": [], "depth": 3}},  # linked, in the sitemap
        {"page": {"url": "/blog", "status": 500}},
        {"page": {"url": "/de/preise", "robots": ["noindex"], "h1": []}},  # excluded
        {"page": {"url": "/deep/page", "depth": None, "titles": []}},  # depth unknown
        {"page": {"url": "/blog/first-post", "canonical": "/blog", "h1": []}},
        {"sitemap_url": {"url": "/not-crawled"}},  # no row in pages: importance 1
    ]
    folder = make_dataset(ops)
    visits = {"https://example.com/pricing": 12_345.0, "https://example.com/blog": 7.0}

    def traffic(urls: object) -> dict[str, float]:
        return visits

    for source in (None, traffic):
        result = audit(folder, AuditSettings(), save=False, traffic=source)
        with open_views(CrawlDataset.open(folder)) as con:
            signals = {
                url: PageSignals(refs, depth, listed, excluded, visits.get(url) if source else None)
                for url, depth, refs, listed, excluded in con.execute(REFERENCE_SIGNALS).fetchall()
            }
        assert len({i.priority for i in result.issues}) > 3  # the signals do vary
        for issue in result.issues:
            assert issue.priority == priority(issue.severity, signals.get(issue.url)), issue


def test_sql_findings_stay_in_duckdb_and_issues_are_built_on_demand(
    make_dataset: MakeDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(ctx: object) -> object:
        raise AssertionError("the engine runs a SQL check's query in DuckDB, not its finder")

    check = all_checks()[0]  # registers the checks
    slow = REGISTRY["slow_response"]
    assert slow.sql is not None and check.id
    monkeypatch.setitem(REGISTRY, "slow_response", replace(slow, find=never))
    result = audit(make_dataset(SLOW), AuditSettings(), save=False)
    assert result.count == 1 and "issues" not in result.__dict__  # no Python objects yet
    assert [(i.check, i.url) for i in result.issues] == [
        ("slow_response", "https://example.com/pricing")
    ]
    assert result.tickets[0].examples == tuple(result.issues)


def test_tickets_aggregated_in_sql_equal_those_grouped_in_python(
    make_dataset: MakeDataset,
) -> None:
    ops = [{"page": {"url": p, "meta_descriptions": [], "h1": []}} for p in ("/pricing", "/blog")]
    ops += [{"page": {"url": "/", "status": 500}}, *SLOW]
    result = audit(make_dataset(ops), AuditSettings(), save=False)
    assert len(result.tickets) >= 3
    assert result.tickets == tickets(result.issues, result.plan.catalog)


def test_an_empty_pages_part_is_a_dataset_error_for_every_reader(make_dataset: MakeDataset) -> None:
    # the pages table has added columns, so a reader looks at its first part's schema first
    folder = make_dataset()
    (folder / "pages" / "part-00000.parquet").write_bytes(b"")
    with pytest.raises(CrawlDatasetError, match=f"cannot read crawl {folder.name}"):
        CrawlDataset.open(folder).query("SELECT url FROM html_pages")


def test_stored_tickets_are_the_tickets_of_the_stored_issues(tmp_path: Path) -> None:
    """What the dashboard reads from issues.parquet without an `Issue` per row is what
    `tickets.tickets` makes of every row: URLs, impact, order and examples, hostile text kept."""
    from marketloop.audit.engine import stored_tickets
    from marketloop.audit.registry import REGISTRY, all_checks
    from marketloop.audit.store import AuditRecord, read_issue_table, write_issues
    from marketloop.audit.tickets import tickets

    all_checks()
    hostile = '<script>x</script> "\'& [/] =HYPERLINK("x") \x07'
    checks = ["missing_h1", "title_too_long", "server_error"]
    issues = [
        Issue(checks[n % 3], REGISTRY[checks[n % 3]].severity, f"https://e.com/{n % 7}?{hostile}",
              f"{hostile} {n}", None, None, round(100 - n * 1.37, 2))
        for n in range(40)
    ]  # fmt: skip
    write_issues(tmp_path, issues, AuditRecord("c1", checks, [], {}))
    table = read_issue_table(tmp_path)
    assert table is not None
    assert stored_tickets(table, REGISTRY) == tickets(issues, REGISTRY)
