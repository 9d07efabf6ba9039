"""`marketloop crawl-diff`: issues new, resolved and persisting; pages added, removed, changed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.hostile import HTML, assert_html_inert
from typer.testing import CliRunner

from marketloop.audit.config import AuditSettings
from marketloop.audit.diff import CrawlDiff, PageChange, compare_pages, crawl_diff
from marketloop.audit.engine import audit
from marketloop.audit.model import Issue, Severity
from marketloop.audit.store import ISSUES_FILE, read_issues, write_issues
from marketloop.cli import app
from marketloop.crawl.dataset import CrawlDataset

from .conftest import MakeDataset

B = "https://example.com"
BEFORE = [
    {"page": {"url": "/blog", "h1": []}},  # fixed in the later crawl
    {"page": {"url": "/pricing", "word_count": 120}},  # still thin later
    {"page": {"url": "/old-landing"}},  # gone later
    {"link": {"from": "/blog", "to": "/old-landing", "anchor": "Our old spring landing page"}},
    {"link": {"from": "/old-landing", "to": "/blog", "anchor": "The Acme blog"}},
]
AFTER = [
    {
        "page": {
            "url": "/pricing",
            "word_count": 150,
            "titles": ["Acme pricing: plans for teams and agencies"],
        }
    },
    {"page": {"url": "/blog/first-post", "meta_robots": "noindex"}},  # new problem
    {"page": {"url": "/blog/second-post", "depth": 2}},  # new page
    {"link": {"from": "/blog", "to": "/blog/second-post", "anchor": "Our second post on pricing"}},
    {"link": {"from": "/blog/second-post", "to": "/blog", "anchor": "The Acme blog"}},
]


Compare = Callable[[CrawlDataset, CrawlDataset, AuditSettings], CrawlDiff]


@pytest.fixture
def compare() -> Iterator[Compare]:
    """`crawl_diff`, each diff closed (its DuckDB connection and spill folder) after the test."""
    opened: list[CrawlDiff] = []

    def open_diff(old: CrawlDataset, new: CrawlDataset, settings: AuditSettings) -> CrawlDiff:
        opened.append(crawl_diff(old, new, settings))
        return opened[-1]

    yield open_diff
    for diff in opened:
        diff.close()


@pytest.fixture
def crawls(make_dataset: MakeDataset) -> tuple[Path, Path]:
    return make_dataset(BEFORE, name="before"), make_dataset(AFTER, name="after")


def test_issues_and_pages_are_compared(crawls: tuple[Path, Path], compare: Compare) -> None:
    old, new = (CrawlDataset.open(c) for c in crawls)
    diff = compare(old, new, AuditSettings())
    assert {(i.check, i.url) for i in diff.issues("new")} == {
        ("noindex", f"{B}/blog/first-post"),
        ("non_indexable_in_sitemap", f"{B}/blog/first-post"),
    }
    assert {(i.check, i.url) for i in diff.issues("resolved")} == {("missing_h1", f"{B}/blog")}
    persisting = {(i.check, i.url) for i in diff.issues("persisting")}
    assert persisting == {("low_content", f"{B}/pricing")}
    assert diff.pages("added") == [f"{B}/blog/second-post"]
    assert diff.pages("removed") == [f"{B}/old-landing"]
    assert set(diff.changes()) == {
        PageChange(f"{B}/blog", "h1", None, "Acme blog"),
        PageChange(f"{B}/blog/first-post", "indexability", "indexable", "noindex"),
        PageChange(f"{B}/pricing", "title", "Acme Pricing: the guide for growing teams",
                   "Acme pricing: plans for teams and agencies"),
        PageChange(f"{B}/pricing", "word_count", "120", "150"),
    }  # fmt: skip
    assert next(s["count"] for s in diff.summary() if s["what"] == "pages changed") == 3


def test_crawls_without_issues_are_audited_and_stored(
    crawls: tuple[Path, Path], compare: Compare
) -> None:
    old, new = crawls
    assert not (old / ISSUES_FILE).exists()
    compare(CrawlDataset.open(old), CrawlDataset.open(new), AuditSettings())
    assert read_issues(old) is not None and read_issues(new) is not None


def test_stored_issues_are_reused_only_under_the_same_settings(
    crawls: tuple[Path, Path], compare: Compare
) -> None:
    old, new = (CrawlDataset.open(c) for c in crawls)
    settings = AuditSettings(thresholds={"low_content": 100})
    real = audit(old, settings)
    marker = Issue("server_error", Severity.critical, f"{B}/marker", "stored", None, None, 1.0)
    write_issues(old.folder, [marker], real.record())  # a stored result we can recognise
    reused = compare(old, new, settings)
    assert marker in reused.issues("resolved")
    redone = compare(old, new, AuditSettings())  # other thresholds: audited again
    assert marker not in redone.issues("resolved")
    persisting = {(i.check, i.url) for i in redone.issues("persisting")}
    assert ("low_content", f"{B}/pricing") in persisting


def test_cli_json_and_table(cli: CliRunner, crawls: tuple[Path, Path]) -> None:
    old, new = crawls
    result = cli.invoke(app, ["crawl-diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["old_crawl"] == "before" and data["new_crawl"] == "after"
    assert set(data["issues"]) == {"new", "resolved", "persisting"}
    assert data["pages"]["added"] == [f"{B}/blog/second-post"]
    assert {"url", "field", "old", "new"} == set(data["pages"]["changed"][0])
    table = cli.invoke(app, ["crawl-diff", str(old), str(new)])
    assert table.exit_code == 0
    for title in ("New issues", "Resolved issues", "Persisting issues", "Changed pages",
                  "Added pages", "Removed pages"):  # fmt: skip
        assert title in table.stdout
    assert "more" not in table.stdout  # every list fits in the default --limit


def test_cli_table_counts_what_limit_cuts(
    cli: CliRunner, make_dataset: MakeDataset, compare: Compare
) -> None:
    thin = {"page": {"url": "/de/preise", "word_count": 90}}  # a second persisting issue
    old, new = make_dataset([*BEFORE, thin], name="before"), make_dataset([*AFTER, thin])
    diff = compare(CrawlDataset.open(old), CrawlDataset.open(new), AuditSettings())
    table = cli.invoke(app, ["crawl-diff", str(old), str(new), "--limit", "1"])
    assert table.exit_code == 0
    text = " ".join(table.stdout.split())
    for title, items in (("new issues", diff.issues("new")),
                         ("persisting issues", diff.issues("persisting")),
                         ("changes", diff.changes())):  # fmt: skip
        assert len(items) > 1
        assert f"(+{len(items) - 1} more {title}: raise --limit, or use --format json)" in text
    assert "more added pages" not in text  # one page added: nothing cut


def test_a_broken_crawl_is_a_dataset_error(cli: CliRunner, crawls: tuple[Path, Path]) -> None:
    old, new = crawls
    (new / "manifest.json").unlink()
    result = cli.invoke(app, ["crawl-diff", str(old), str(new)])
    assert result.exit_code != 0
    assert "is not a crawl dataset" in str(result.exception)


def test_indexability_changes_use_the_shared_reasons(make_dataset: MakeDataset) -> None:
    """A page that turns into a PDF is no longer indexable as a page (crawl/dataset.py)."""
    before = make_dataset(name="before")
    after = make_dataset([{"page": {"url": "/pricing", "content_type": "application/pdf"}}])
    _, _, changed = compare_pages(CrawlDataset.open(before), CrawlDataset.open(after))
    assert PageChange(f"{B}/pricing", "indexability", "indexable", "not_html") in changed


def test_cli_html_and_csv(cli: CliRunner, make_dataset: MakeDataset, tmp_path: Path) -> None:
    calm, hostile = ({"page": {"url": "/x", "titles": [title]}} for title in ("Calm", HTML))
    old = make_dataset([*BEFORE, calm], name="before")
    new = make_dataset([*AFTER, hostile])  # the title changed to hostile text
    page = tmp_path / "diff.html"
    result = cli.invoke(app, ["crawl-diff", str(old), str(new), "-f", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert "New issues" in html and "Changed pages" in html and f"{B}/blog/second-post" in html
    assert_html_inert(html)
    default = cli.invoke(app, ["crawl-diff", str(old), str(new), "--format", "html", "-w",
                               str(tmp_path / "ws")])  # fmt: skip
    assert default.exit_code == 0, default.output
    assert len(list((tmp_path / "ws" / "reports").glob("crawl-diff-before-*.html"))) == 1
    csv_out = cli.invoke(app, ["crawl-diff", str(old), str(new), "-o", str(tmp_path / "d.csv")])
    assert csv_out.exit_code == 0, csv_out.output
    lines = (tmp_path / "d.csv").read_text().splitlines()
    assert lines[0] == "change,url,check,severity,detail,field,old,new"
    assert any(line.startswith(f"page added,{B}/blog/second-post") for line in lines)
    assert any(line.startswith("page changed,") for line in lines)
