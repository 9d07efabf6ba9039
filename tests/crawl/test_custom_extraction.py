"""Custom extraction (`[[crawl.extract]]`): CSS selector or XPath, attribute, regex and
first/all/count, run in the parser processes, stored in the `extractions` table, exported,
served by the API, and refused at start with the rule's name when a selector, expression or
regex cannot run."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import structlog.testing
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from marketloop.api.app import create_app
from marketloop.api.keys import create_key
from marketloop.api.scopes import Scope
from marketloop.cli import app
from marketloop.config import load_settings
from marketloop.crawl import custom
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.custom import MAX_VALUES
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.extract import extract
from marketloop.crawl.records import ExtractRule
from marketloop.crawl.run import run_crawl
from marketloop.errors import ConfigError
from marketloop.workspace import Workspace

from .static_site import serve

pytestmark = pytest.mark.timeout(60)
HOSTILE = "=cmd|'/c calc'!A1 =HYPERLINK(\"http://evil\")<script>alert('x')</script>[/red][/]&\"'"
PAGE = f"""<!doctype html><html><head><title>Shop</title>
<meta itemprop="price" content="  19.99 ">
<script>var sku = "SKU-123"; var other = "SKU-456";</script></head>
<body><h1>Boots</h1>
<span class="price">EUR 19,99</span><span class="price">EUR 5,00</span>
<div class="author">{HOSTILE.replace("<", "&lt;")}</div>
<div class="author">  Ann\u0007   Lee </div>
<a href="/b">b</a></body></html>"""


#: the same selections as a css selector and as an XPath expression: hostile values must come
#: out of both kinds of rule alike
KINDS = {
    "css": {"author": "div.author", "price": "span.price", "li": "li", "last": "li:last-child"},
    "xpath": {
        "author": "//div[@class='author']",
        "price": "//span[@class='price']",
        "li": "//li",
        "last": "//li[last()]",
    },
}


def rule(name: str, **fields: Any) -> ExtractRule:
    v = {"css": None, "attribute": None, "regex": None, "mode": "first", "xpath": None, **fields}
    return ExtractRule(name, v["css"], v["attribute"], v["regex"], v["mode"], v["xpath"])


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


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_values_are_kept_as_text_and_bounded(kind: str) -> None:
    select = KINDS[kind]
    got = run(rule("author", **{kind: select["author"]}, mode="all"))
    assert got["author"][0] == [HOSTILE, "Ann\u0007 Lee"]  # stored raw; every face escapes
    many = "<ul>" + "<li>x</li>" * (MAX_VALUES + 50) + f"<li>{'y' * 5000}</li></ul>"
    values, count = run(rule("items", **{kind: select["li"]}, mode="all"), html=many)["items"]
    assert count == MAX_VALUES + 51 and len(values) == MAX_VALUES
    long = run(rule("long", **{kind: select["last"]}), html=many)["long"][0][0]
    assert len(long) == 1000


def test_xpath_selects_elements_attributes_text_and_computes_values() -> None:
    got = run(
        rule("h1", xpath="//h1"),
        rule("prices", xpath="//span[@class='price']", mode="all"),
        rule("amount", xpath="//span[@class='price']/text()", regex=r"(\d+),", mode="all"),
        rule("meta_price", xpath="//meta[@itemprop='price']", attribute="content"),
        rule("hrefs", xpath="//a/@href", mode="all"),
        rule("links", xpath="count(//a)"),
        rule("heading", xpath="string(//h1)"),
        rule("has_nav", xpath="boolean(//nav)"),
        rule("ratio", xpath="count(//span) div 4"),
        rule("nothing", xpath="string(//nav)"),  # an empty string is no value
        rule("no_attr", xpath="//h1", attribute="data-x", mode="count"),
        rule("comment", xpath="//comment()"),
    )
    assert got["h1"] == (["Boots"], 1)
    assert got["prices"] == (["EUR 19,99", "EUR 5,00"], 2)
    assert got["amount"] == (["19", "5"], 2)
    assert got["meta_price"] == (["19.99"], 1)  # whitespace-collapsed as css values are
    assert got["hrefs"] == (["/b"], 1)
    assert got["links"] == (["1"], 1)  # a number as XPath prints it: 1, not 1.0
    assert got["heading"] == (["Boots"], 1)
    assert got["has_nav"] == (["false"], 1)
    assert got["ratio"] == (["0.5"], 1)
    assert got["nothing"] == ([], 0)
    assert got["no_attr"] == ([], 0)
    assert got["comment"] == ([], 0)
    nested = "<div class=x> a <b>b</b>\n<i> c </i><!-- hidden --></div>"
    assert run(rule("text", xpath="//div"), html=nested)["text"] == (["a b c"], 1)


@pytest.mark.parametrize(
    "html",
    ["", "   ", "\x00\x01\x02", "<?xml version='1.0' encoding='latin-1'?><h1>caf\u00e9</h1>",
     "<" * 5000, "<div>" * 3000 + "deep" + "</div>" * 3000, "<h1>\ud800</h1>"],
    ids=["empty", "blank", "controls", "xml-decl", "brackets", "deep", "surrogate"],
)  # fmt: skip
def test_xpath_on_a_page_lxml_cannot_read_is_no_value_not_a_crash(html: str) -> None:
    got = run(rule("h1", xpath="//h1"), rule("n", xpath="count(//div)"), rule("t", css="p"),
              html=html)  # fmt: skip
    assert set(got) == {"h1", "n", "t"}
    for values, matches in got.values():
        assert matches == len(values) <= 1 and all(isinstance(v, str) for v in values)


def test_lxml_parses_a_page_once_and_only_with_an_xpath_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parses: list[str] = []
    real = custom._lxml_root
    monkeypatch.setattr(custom, "_lxml_root", lambda html: parses.append(html) or real(html))
    run(rule("title", css="title"), rule("sku", regex="SKU-\\d+"))
    assert parses == []  # css and regex rules cost no second parse
    got = run(rule("a", xpath="//h1"), rule("b", xpath="//title"), rule("c", css="h1"))
    assert parses == [PAGE]  # one tree for every XPath rule of the page
    assert got == {"a": (["Boots"], 1), "b": (["Shop"], 1), "c": (["Boots"], 1)}


def test_the_parser_does_not_import_lxml_without_an_xpath_rule() -> None:
    code = (
        "import sys\n"
        "from marketloop.crawl.parse import parse_html\n"
        "from marketloop.crawl.records import ExtractRule, HtmlJob\n"
        "rules = (ExtractRule('t', 'title', None, None, 'first'),)\n"
        "job = HtmlJob('https://a.test/', b'<title>x</title>', None, frozenset(), None, rules)\n"
        "assert parse_html(job).extracted.custom[0].values == ['x']\n"
        "print('lxml' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


#: catastrophic backtracking: `(a|a)+$` tries 2**n ways to split a run of n `a` before the `b`
#: (the `regex` package optimises `(a+)+$`, not this); `re` took hours on this page
BACKTRACKING = "<html><body><p>" + "a" * 60 + "b</p><p>SKU-1</p></body></html>"


def test_a_regex_that_backtracks_runs_out_of_time_and_the_other_rules_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(custom, "REGEX_SECONDS", 0.2)
    rules = (
        rule("evil", regex=r"(a|a)+$", mode="all"),
        rule("evil_css", css="p", regex=r"(a|a)+$", mode="count"),
        rule("sku", regex=r"SKU-\d+"),
    )
    started = time.monotonic()
    page = extract(BACKTRACKING, "https://a.test/", frozenset({"a.test"}), rules=rules)
    assert time.monotonic() - started < 5  # two rules out of time, not two hung ones
    got = {e.name: (e.values, e.matches) for e in page.custom}
    assert got == {"evil": ([], 0), "evil_css": ([], 0), "sku": (["SKU-1"], 1)}
    assert page.warnings == tuple(
        f"extract rule {name!r}: its regex ran over 0.2 s on this page (catastrophic "
        "backtracking?); no value kept"
        for name in ("evil", "evil_css")
    )


def test_a_crawl_with_a_backtracking_regex_ends_with_a_warning(tmp_path: Path) -> None:
    """Through the parser process: the page is recorded, the rule has no value, one log line."""
    pages = {"/": ("text/html", BACKTRACKING)}
    rules = [{"name": "evil", "regex": r"(a|a)+$"}, {"name": "sku", "regex": r"SKU-\d+"}]
    folder = tmp_path / "site-20260101T000000Z"
    with serve(pages) as site, structlog.testing.capture_logs() as logs:
        settings = CrawlSettings(parse_workers=1, retries=0, extract=rules)
        run_crawl(site.url, folder, settings)
    got = CrawlDataset.open(folder).query(
        'SELECT name, "values", matches FROM extractions ORDER BY name'
    )
    assert got == [
        {"name": "evil", "values": [], "matches": 0},
        {"name": "sku", "values": ["SKU-1"], "matches": 1},
    ]
    warned = [e for e in logs if e["log_level"] == "warning"]
    assert [(e["event"][:35], e["url"]) for e in warned] == [
        ("extract rule 'evil': its regex ran ", site.url)
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "price", "css": "div["}, "extract rule 'price': invalid CSS selector 'div['"),
        ({"name": "sku", "regex": "(unclosed"}, "extract rule 'sku': invalid regex '(unclosed'"),
        ({"name": "sku", "regex": "a{2,1}"}, "extract rule 'sku': invalid regex 'a{2,1}'"),
        ({"name": "x", "attribute": "href"}, "extract rule 'x': attribute needs a css selector"),
        ({"name": "x"}, "extract rule 'x': give a css selector, an xpath or a regex"),
        ({"name": "p", "xpath": "//a["}, "extract rule 'p': invalid XPath '//a[' (Invalid expr"),
        ({"name": "f", "xpath": "nope(//a)"}, "rule 'f': invalid XPath 'nope(//a)' (Unregistered"),
        ({"name": "n", "xpath": "//x:a"}, "rule 'n': invalid XPath '//x:a' (Undefined namespace"),
        (
            {"name": "both", "css": "p", "xpath": "//p"},
            "extract rule 'both': give a css selector or an xpath, not both",
        ),
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
    toml.write_text('[[crawl.extract]]\nname = "a"\ncss = "p"\n[[crawl.extract]]\n'
                    'name = "sku"\nxpath = "//span[@id=\'sku\']]"\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_settings(toml)
    text = str(caught.value)
    assert "crawl.extract.1" in text and "'sku'" in text and "invalid XPath" in text


@pytest.mark.parametrize("kind", KINDS)
def test_a_crawl_stores_exports_and_serves_the_extractions(kind: str, tmp_path: Path) -> None:
    """Dataset → `crawl-export extractions` and `pages` (escaped CSV) → the API."""
    pages = {
        "/": ("text/html", PAGE),
        "/b": ("text/html", "<html><head><title>B</title></head><body>no price</body></html>"),
    }
    select = KINDS[kind]
    rules = [
        {"name": "price", kind: select["price"], "regex": r"[\d,]+", "mode": "all"},
        {"name": "author", kind: select["author"]},
    ]
    workspace = Workspace(tmp_path / "ws").ensure()
    folder = workspace.crawls_dir / "site-20260101T000000Z"
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
    result = CliRunner().invoke(app, ["crawl-export", str(folder), "extractions"])
    assert result.exit_code == 0, result.output
    exported = list(csv.DictReader(io.StringIO(result.stdout)))
    author = next(r for r in exported if r["name"] == "author" and r["matches"] == "2")
    assert author["values"] == "'" + HOSTILE  # a formula prefix is neutralised in CSV
    result = CliRunner().invoke(app, ["crawl-export", str(folder), "pages"])
    assert result.exit_code == 0, result.output
    by_url = {r["url"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert by_url[site.url]["extract_author"] == "'" + HOSTILE
    assert by_url[site.url]["extract_price"] == "19,99\n5,00"
    assert by_url[site.url + "b"]["extract_price"] == ""
    api = create_app(load_settings(overrides={"workspace": workspace.root}))
    with TestClient(api) as client:
        key, _ = create_key(
            api.state.api.engine, api.state.api.auth.pepper, "t", [Scope.read], None
        )
        answer = client.get(
            f"/api/v1/crawls/{folder.name}/extractions",
            headers={"Authorization": f"Bearer {key}"},
            params={"url": site.url},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == [{"url": site.url, "fields": {
        "author": {"values": [HOSTILE], "matches": 2},
        "price": {"values": ["19,99", "5,00"], "matches": 2},
    }}]  # fmt: skip
