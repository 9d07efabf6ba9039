"""`marketloop export`: CSV (stdout or file) and Parquet, inlinks joined into pages."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.crawl.schema import SCHEMAS
from marketloop.errors import AuditError

from .conftest import MakeDataset

B = "https://example.com"


@pytest.fixture
def dataset(make_dataset: MakeDataset) -> Path:
    return make_dataset([{"page": {"url": "/pricing", "titles": ["Plans | Acme", "Second title"]}}])


def test_pages_csv_on_stdout_with_inlinks_and_readable_lists(cli: CliRunner, dataset: Path) -> None:
    result = cli.invoke(app, ["crawl-export", str(dataset), "pages"])
    assert result.exit_code == 0, result.output
    rows = {r["url"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert list(next(iter(rows.values()))) == [
        *SCHEMAS["pages"].names,
        "inlinks",
        "followed_inlinks",
    ]
    pricing = rows[f"{B}/pricing"]
    assert pricing["titles"] == "Plans | Acme\nSecond title"  # one item per line
    assert pricing["hreflang"] == f"en {B}/pricing\nde {B}/de/preise"
    assert pricing["og"] == "og:title=pricing"
    assert pricing["fetched_at"] == "2025-01-15T09:30:00.000Z"
    assert pricing["inlinks"] == "4"  # every other HTML page links to it
    assert rows[f"{B}/img/hero.png"]["inlinks"] == "0"


@pytest.fixture
def far_east(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run with the machine's local time zone at UTC+9 (DuckDB's session default)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_east")
def test_csv_times_are_utc_whatever_the_local_zone(cli: CliRunner, dataset: Path) -> None:
    result = cli.invoke(app, ["crawl-export", str(dataset), "pages"])
    assert result.exit_code == 0, result.output
    rows = {r["url"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows[f"{B}/pricing"]["fetched_at"] == "2025-01-15T09:30:00.000Z"


def test_links_csv_to_a_file(cli: CliRunner, dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "links.csv"
    result = cli.invoke(app, ["crawl-export", str(dataset), "links", "--out", str(out)])
    assert result.exit_code == 0 and "wrote" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == len(pq.read_table(dataset / "links").to_pylist())
    assert list(rows[0]) == SCHEMAS["links"].names


def test_parquet_keeps_types_and_needs_a_file(
    cli: CliRunner, dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "images.parquet"
    assert (
        cli.invoke(
            app, ["crawl-export", str(dataset), "images", "--format", "parquet", "--out", str(out)]
        ).exit_code
        == 0
    )
    assert pq.read_table(out).schema.names == SCHEMAS["images"].names
    pages = tmp_path / "pages.parquet"
    cli.invoke(app, ["crawl-export", str(dataset), "pages", "-f", "parquet", "-o", str(pages)])
    table = pq.read_table(pages)
    assert table.schema.field("titles").type == SCHEMAS["pages"].field("titles").type
    assert "inlinks" in table.schema.names and not list(tmp_path.glob(".*.tmp"))
    missing = cli.invoke(app, ["crawl-export", str(dataset), "pages", "--format", "parquet"])
    assert missing.exit_code == 2 and "--out" in missing.stderr


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_output_that_cannot_be_written_is_said_so(
    cli: CliRunner, dataset: Path, fmt: str
) -> None:
    """/proc takes no new files, even for root: the error names the output, not the crawl."""
    out = f"/proc/marketloop-export.{fmt}"
    result = cli.invoke(app, ["crawl-export", str(dataset), "pages", "-f", fmt, "-o", out])
    assert isinstance(result.exception, AuditError)  # exit 3 from marketloop.cli.main
    assert f"cannot write {out}" in str(result.exception)


def test_a_partial_crawl_is_exported_with_a_warning(
    cli: CliRunner, make_dataset: MakeDataset
) -> None:
    folder = make_dataset([{"manifest_fields": {"status": "interrupted"}}])
    result = cli.invoke(app, ["crawl-export", str(folder), "images"])
    assert result.exit_code == 0 and "the export is partial" in result.stderr


def test_pages_carry_one_column_per_extraction_rule(
    cli: CliRunner, make_dataset: MakeDataset, tmp_path: Path
) -> None:
    """In CSV one value per line (formula prefixes neutralised), in Parquet the list; a count
    rule gives its matches; a page a rule found nothing on has an empty cell."""
    hostile = '=HYPERLINK("x") <script>[/b]"\'&'
    folder = make_dataset(
        [
            {"manifest_fields": {"settings": {"extract": [
                {"name": "price", "css": "span", "mode": "all"},
                {"name": "gtm-ids", "regex": "GTM-[A-Z]+", "mode": "count"},
                {"name": "bad\"name", "regex": "x"},  # not a rule name: left out
            ]}}},
            {"extraction": {"page": "/pricing", "name": "price", "values": [hostile, "9.99"],
                            "matches": 2}},
            {"extraction": {"page": "/pricing", "name": "gtm-ids", "values": [], "matches": 3}},
        ]
    )  # fmt: skip
    result = cli.invoke(app, ["crawl-export", str(folder), "pages"])
    assert result.exit_code == 0, result.output
    rows = {r["url"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert list(rows[f"{B}/pricing"])[-2:] == ["extract_price", "extract_gtm-ids"]
    assert rows[f"{B}/pricing"]["extract_price"] == f"'{hostile}\n9.99"
    assert rows[f"{B}/pricing"]["extract_gtm-ids"] == "3"
    assert rows[f"{B}/blog"]["extract_price"] == "" and rows[f"{B}/blog"]["extract_gtm-ids"] == ""
    out = tmp_path / "pages.parquet"
    cli.invoke(app, ["crawl-export", str(folder), "pages", "-f", "parquet", "-o", str(out)])
    table = pq.read_table(out)
    pricing = table.column("url").to_pylist().index(f"{B}/pricing")
    assert table.column("extract_price")[pricing].as_py() == [hostile, "9.99"]
    assert table.column("extract_gtm-ids")[pricing].as_py() == 3
