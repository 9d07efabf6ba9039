"""Files (CSV, TSV, Parquet, JSON, JSONL) and crawl datasets into the warehouse."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketloop.config import Settings
from marketloop.errors import IngestError, WorkspaceError
from marketloop.ingest.jobs import ingest_crawl, ingest_file
from marketloop.workspace import Workspace

from .conftest import SITE, make_crawl, query

KEYWORDS = "keyword,volume,cpc\nseo audit tool,1900,4.5\nlead scoring,880,6.1\n"


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("keywords.csv", KEYWORDS),
        ("keywords.tsv", KEYWORDS.replace(",", "\t")),
        (
            "keywords.jsonl",
            '{"keyword": "seo audit tool", "volume": 1900, "cpc": 4.5}\n\n'
            '{"keyword": "lead scoring", "volume": 880, "cpc": 6.1}\n',
        ),
        (
            "keywords.json",
            '[{"keyword": "seo audit tool", "volume": 1900, "cpc": 4.5},'
            ' {"keyword": "lead scoring", "volume": 880, "cpc": 6.1}]',
        ),
    ],
)
def test_text_exports_load_with_inferred_types(
    settings: Settings, tmp_path: Path, name: str, content: str
) -> None:
    path = _write(tmp_path, name, content)
    result = ingest_file(settings, path, "Keyword List")
    assert result.loaded == {"keyword_list": 2}
    rows = query(settings, "SELECT keyword, volume, cpc FROM files.keyword_list ORDER BY volume")
    assert rows == [("lead scoring", 880, 6.1), ("seo audit tool", 1900, 4.5)]


def test_parquet_streams_and_a_reload_replaces_the_table(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "backlinks.parquet"
    table = pa.table(
        {
            "source": [f"https://blog{i}.example/" for i in range(120_000)],
            "dr": list(range(120_000)),
        }
    )
    pq.write_table(table, path, row_group_size=30_000)
    first = ingest_file(settings, path, "backlinks")
    assert first.loaded == {"backlinks": 120_000}
    assert first.stats.pages["backlinks"] == 3  # streamed in batches, not read whole
    pq.write_table(table.slice(0, 10), path)
    ingest_file(settings, path, "backlinks")
    assert query(settings, "SELECT count(*), max(dr) FROM files.backlinks") == [(10, 9)]


def test_a_new_file_defines_the_table_columns_and_types(settings: Settings, tmp_path: Path) -> None:
    ingest_file(settings, _write(tmp_path, "k1.csv", "keyword,volume\nseo tools,1200\n"), "kw")
    ingest_file(settings, _write(tmp_path, "k2.csv", "keyword,volume\nseo tools,high\n"), "kw")
    assert query(settings, "SELECT keyword, volume FROM files.kw") == [("seo tools", "high")]
    ingest_file(settings, _write(tmp_path, "k3.csv", "url,anchor\nhttps://a.example/,x\n"), "kw")
    columns = query(
        settings,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'files' "
        "AND table_name = 'kw' AND column_name NOT LIKE '\\_dlt%' ESCAPE '\\' "
        "ORDER BY ordinal_position",
    )
    assert columns == [("url",), ("anchor",)]
    assert query(settings, "SELECT url, anchor FROM files.kw") == [("https://a.example/", "x")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad.csv",
            'keyword,volume\n"a",1\n"b, c",2,3\nd,4\n',
            r"bad.csv: line 3 has 3 fields where the header has 2",
        ),
        ("bad.jsonl", '{"keyword": "a"}\n{"keyword": \n', r"bad.jsonl: line 2 is not JSON"),
        (
            "bad.json",
            '[{"keyword": "a"},\n {"keyword" "b"}]',
            r"bad.json: malformed JSON at line 2",
        ),
        ("obj.json", '{"keyword": "a"}', r"expected a JSON array of objects"),
        (
            "latin.csv",
            "keyword\ncaf\xe9\n".encode("latin-1"),
            r"column 'keyword' is not valid UTF-8",
        ),
        ("bad.parquet", "not parquet", r"bad.parquet is not a readable Parquet file"),
        ("keywords.xlsx", "x", r"unknown file type .xlsx"),
    ],
)
def test_malformed_files_name_the_problem_and_load_nothing(
    settings: Settings, tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(IngestError, match=message):
        ingest_file(settings, path, "broken")
    assert not Workspace(settings.workspace).warehouse_path.exists()


def test_a_missing_file_and_a_reserved_name_are_refused(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        ingest_file(settings, tmp_path / "nope.csv", "t")
    with pytest.raises(IngestError, match="cannot be a table name"):
        ingest_file(settings, _write(tmp_path, "k.csv", KEYWORDS), "_dlt_loads")


PAGES = [
    # url, status, content type, meta robots, x-robots, canonical → indexable
    ("https://www.example.com/", 200, "text/html", None, None, "https://www.example.com/", True),
    ("https://www.example.com/pricing", 200, "text/html", "index,follow", None, None, True),
    ("https://www.example.com/old", 301, None, None, None, None, False),
    ("https://www.example.com/thin", 200, "text/html", "noindex,follow", None, None, False),
    ("https://www.example.com/a.pdf", 200, "application/pdf", None, None, None, False),
    ("https://www.example.com/tagged", 200, "text/html", None, "noindex", None, False),
    (
        "https://www.example.com/dupe",
        200,
        "text/html",
        None,
        None,
        "https://www.example.com/",
        False,
    ),
    ("https://www.example.com/gone", 404, "text/html", None, None, None, False),
    # the shared definition (crawl/dataset.py): any case, `none`, a header per user agent, XHTML
    ("https://www.example.com/none", 200, "text/html", "NONE", None, None, False),
    ("https://www.example.com/bot", 200, "text/html", None, "googlebot: NoIndex", None, False),
    ("https://www.example.com/x", 200, "application/xhtml+xml", None, None, None, True),
]


def _crawl(workspace: Workspace, issues: list[dict[str, str]] | None, day: int = 30) -> Path:
    pages = [
        {
            "url": u,
            "host": "www.example.com",
            "status": s,
            "content_type": c,
            "meta_robots": m,
            "x_robots_tag": x,
            "canonical": canon,
            "titles": ["t"],
            "simhash": 2**63 + 5,
        }
        for u, s, c, m, x, canon, _ in PAGES
    ]
    return make_crawl(workspace, pages, issues, datetime(2024, 6, day, tzinfo=UTC))


def test_the_latest_crawl_loads_pages_with_indexability_and_its_issues(
    settings: Settings, workspace: Workspace
) -> None:
    issues = [
        {
            "check": "noindex",
            "severity": "warning",
            "url": PAGES[3][0],
            "detail": "meta robots",
            "extra": "x",
        }
    ]
    folder = _crawl(workspace, issues)
    result = ingest_crawl(settings)
    assert result.loaded == {"pages": len(PAGES), "issues": 1}
    assert result.notes == ()
    indexable = dict(query(settings, "SELECT url, indexable FROM crawl.pages"))
    assert indexable == {url: expected for url, *_, expected in PAGES}
    row = query(settings, "SELECT crawl_id, simhash FROM crawl.pages LIMIT 1")[0]
    assert row == (folder.name, "8000000000000005")
    columns = {
        r[0]
        for r in query(
            settings,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'crawl' AND table_name = 'pages'",
        )
    }
    assert "titles" not in columns and {"status", "canonical", "fetched_at"} <= columns
    assert query(settings, 'SELECT crawl_id, "check", severity, url, detail FROM crawl.issues') == [
        (folder.name, "noindex", "warning", PAGES[3][0], "meta robots")
    ]


def test_an_unaudited_crawl_replaces_the_old_issues_and_says_so(
    settings: Settings, workspace: Workspace
) -> None:
    _crawl(workspace, [{"check": "noindex", "severity": "warning", "url": SITE, "detail": ""}])
    ingest_crawl(settings)
    newer = _crawl(workspace, None, day=29)  # an older name, but written last: the latest
    result = ingest_crawl(settings)
    assert any("has not been audited" in note for note in result.notes)
    assert query(settings, "SELECT count(*) FROM crawl.issues") == [(0,)]
    assert query(settings, "SELECT DISTINCT crawl_id FROM crawl.pages") == [(newer.name,)]


def test_no_crawl_in_the_workspace_says_what_to_run(settings: Settings) -> None:
    with pytest.raises(WorkspaceError, match="no crawl dataset"):
        ingest_crawl(settings)
