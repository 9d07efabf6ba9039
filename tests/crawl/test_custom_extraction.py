"""Custom extraction (`[[crawl.extract]]`): CSS selector, attribute, regex and first/all/count,
run in the parser processes, stored in the `extractions` table, exported, and refused at start
with the rule's name when a selector or regex cannot run."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.config import load_settings
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.custom import MAX_VALUES
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.extract import extract
from marketloop.crawl.records import ExtractRule
from marketloop.crawl.run import run_crawl
from marketloop.errors import ConfigError

from .static_site import serve

pytestmark = pytest.mark.timeout(60)
HOSTILE = "=HYPERLINK(\"http://evil\")<script>alert('x')</script>[/red]&\"'"
PAGE = f"""<!doctype html><html><head><title>Shop</title>
<meta itemprop="price" content="  19.99 ">
<script>var sku = "SKU-123"; var other = "SKU-456";</script></head>
<body><h1>Boots</h1>
<span class="price">EUR 19,99</span><span class="price">EUR 5,00</span>
<div class="author">{HOSTILE.replace("<", "&lt;")}</div>
<div class="author">  Ann\u0007   Lee </div>
<a href="/b">b</a></body></html>"""


def rule(name: str, **fields: Any) -> ExtractRule:
    values = {"css": None, "attribute": None, "regex": None, "mode": "first", **fields}
    return ExtractRule(name, values["css"], values["attribute"], values["regex"], values["mode"])


def run(*rules: ExtractRule, html: str = PAGE) -> dict[str, tuple[list[str], int]]:
    found = extract(html, "https://a.test/", frozenset({"a.test"}), rules=rules).custom
    return {e.name: (e.values, e.matches) for e in found}


def test_first_all_count_attribute_and_regex() -> None:
    got = run(
        rule("title", css="title"),
        rule("prices", css="span.price", mode="all"),
        rule("price_count", css="span.price", mode="count"),
        rule("amount", css="span.price", regex=r"(\d+),(\d+)", mode="all"),
        rule("meta_price", css="meta[itemprop=price]", attribute="content"),
        rule("sku", regex=r'"(SKU-\d+)"', mode="all"),  # no css: over the raw HTML
        rule("missing", css="p.none"),
        rule("no_attr", css="h1", attribute="data-x", mode="count"),
    )
    assert got["title"] == (["Shop"], 1)
    assert got["prices"] == (["EUR 19,99", "EUR 5,00"], 2)
    assert got["price_count"] == ([], 2)
    assert got["amount"] == (["19", "5"], 2)  # group 1 when the regex has groups
    assert got["meta_price"] == (["19.99"], 1)
    assert got["sku"] == (["SKU-123", "SKU-456"], 2)  # scripts are still in the tree
    assert got["missing"] == ([], 0)
    assert got["no_attr"] == ([], 0)


def test_hostile_values_are_kept_as_text_and_bounded() -> None:
    got = run(rule("author", css="div.author", mode="all"))
    assert got["author"][0] == [HOSTILE, "Ann\u0007 Lee"]  # stored raw; every face escapes
    many = "<ul>" + "<li>x</li>" * (MAX_VALUES + 50) + f"<li>{'y' * 5000}</li></ul>"
    values, count = run(rule("items", css="li", mode="all"), html=many)["items"]
    assert count == MAX_VALUES + 51 and len(values) == MAX_VALUES
    long = run(rule("long", css="li:last-child"), html=many)["long"][0][0]
    assert len(long) == 1000


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "price", "css": "div["}, "extract rule 'price': invalid CSS selector 'div['"),
        ({"name": "sku", "regex": "(unclosed"}, "extract rule 'sku': invalid regex '(unclosed'"),
        ({"name": "x", "attribute": "href"}, "extract rule 'x': attribute needs a css selector"),
        ({"name": "x"}, "extract rule 'x': give a css selector, a regex, or both"),
        ({"name": "bad name<", "css": "p"}, "a name is 1 to 64 letters"),
        ({"name": "x", "css": "p", "mode": "some"}, "'first', 'all' or 'count'"),
    ],
)
def test_a_rule_that_cannot_run_is_refused_with_its_name(
    fields: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        CrawlSettings(extract=[fields])
    assert message in str(caught.value)


def test_repeated_names_and_the_settings_file_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unique: a repeated"):
        CrawlSettings(extract=[{"name": "a", "css": "p"}, {"name": "a", "css": "h1"}])
    toml = tmp_path / "marketloop.toml"
    toml.write_text('[[crawl.extract]]\nname = "price"\ncss = "span["\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(toml)
    text = str(caught.value)
    assert "crawl.extract.0" in text and "'price'" in text and "'span['" in text


def test_a_crawl_stores_and_exports_the_extractions(tmp_path: Path) -> None:
    pages = {
        "/": ("text/html", PAGE),
        "/b": ("text/html", "<html><head><title>B</title></head><body>no price</body></html>"),
    }
    rules = [
        {"name": "price", "css": "span.price", "regex": r"[\d,]+", "mode": "all"},
        {"name": "author", "css": "div.author"},
    ]
    folder = tmp_path / "crawl"
    with serve(pages) as site:
        settings = CrawlSettings(parse_workers=1, retries=0, extract=rules)  # via the worker
        run_crawl(site.url, folder, settings)
    got = CrawlDataset.open(folder).query(
        "SELECT replace(page_url, ?, '/') AS path, name, \"values\", matches FROM extractions "
        "ORDER BY path, name",
        [site.url],
    )
    assert got == [
        {"path": "/", "name": "author", "values": [HOSTILE], "matches": 2},
        {"path": "/", "name": "price", "values": ["19,99", "5,00"], "matches": 2},
        {"path": "/b", "name": "author", "values": [], "matches": 0},
        {"path": "/b", "name": "price", "values": [], "matches": 0},
    ]
    result = CliRunner().invoke(app, ["export", str(folder), "extractions"])
    assert result.exit_code == 0, result.output
    exported = list(csv.DictReader(io.StringIO(result.stdout)))
    author = next(r for r in exported if r["name"] == "author" and r["matches"] == "2")
    assert author["values"] == "'" + HOSTILE  # a formula prefix is neutralised in CSV
