"""Custom extraction (pure): the `[[crawl.extract]]` rules run over one parsed page, as
Screaming Frog's custom extraction does.

    [[crawl.extract]]
    name = "price"                 # letters, digits, _ and -; unique
    css = "span.price"             # a CSS selector (selectolax/lexbor); or xpath, or neither
    xpath = '//span[@class="price"]'  # instead of css: an XPath 1.0 expression (lxml)
    attribute = "content"          # the attribute's value instead of the element's text
    regex = '(\\d+[.,]\\d{2})'     # optional: over each value (or the raw HTML without a
                                   # selector); group 1 when the regex has a group, else the
                                   # whole match
    mode = "first"                 # first | all | count

A rule selects with at most one of css and xpath; a regex alone runs over the raw HTML. An
XPath expression may select elements (their text, or `attribute`), attributes or text nodes
(`//a/@href`, `//h1/text()`: their string values), or compute a string, number or boolean
(`string(//h1)`, `count(//a)`: one value; an empty string is no value).

Values are whitespace-collapsed, at most `MAX_VALUES` kept per rule and page, each cut at
`MAX_CHARS` characters; `matches` counts every match on the page. The rules are checked when the
settings load (`check_rule`), so a crawl never starts with a selector, expression or regex that
cannot run.

Regexes run with the `regex` package, not `re`, for its `timeout=` (`crawl/patterns.py`): a
pattern that backtracks catastrophically (`(a|a)+$` over a long run of `a`) would hold a parser
process for hours. A rule gets `REGEX_SECONDS` per page over all its values; past that it keeps
no value on that page, and the page's `warnings` say so (the crawl logs them, one line per page
and rule).

The XPath rules need a second parse of the page, with lxml: it is done once per page, only when
a rule has an XPath, and lxml is imported only then (the parser processes stay small). A page
lxml cannot parse (or an expression that fails on it) gives those rules no value; the page's
other records are unaffected.
"""

from __future__ import annotations

import math
import re
import time
from functools import lru_cache
from typing import Any

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from marketloop.crawl import patterns
from marketloop.crawl.records import Extraction, ExtractRule

MAX_VALUES = 100
MAX_CHARS = 1_000
#: a regex rule's time on one page, over all its values (a normal pattern takes milliseconds)
REGEX_SECONDS = 1.0
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_rule(rule: ExtractRule) -> None:
    """Raise ValueError naming the rule when it cannot run."""
    label = f"extract rule {rule.name!r}"
    if not NAME.match(rule.name):
        raise ValueError(f"{label}: a name is 1 to 64 letters, digits, '_' or '-'")
    if rule.css is not None and rule.xpath is not None:
        raise ValueError(f"{label}: give a css selector or an xpath, not both")
    if rule.attribute is not None and rule.css is None and rule.xpath is None:
        raise ValueError(f"{label}: attribute needs a css selector or an xpath")
    if rule.css is None and rule.xpath is None and rule.regex is None:
        raise ValueError(f"{label}: give a css selector, an xpath or a regex")
    if rule.css is not None:
        try:
            LexborHTMLParser("<p></p>").css(rule.css)
        except (SelectolaxError, ValueError) as exc:
            raise ValueError(f"{label}: invalid CSS selector {rule.css!r} ({exc})") from None
    if rule.xpath is not None:
        from lxml import etree

        try:  # evaluated once too: an unknown function or prefix fails only then
            _xpath(rule.xpath)(_parse("<p></p>"))
        except (etree.LxmlError, ValueError) as exc:
            raise ValueError(f"{label}: invalid XPath {rule.xpath!r} ({exc})") from None
    if rule.regex is not None:
        try:
            patterns.compiled(rule.regex)
        except patterns.Error as exc:
            raise ValueError(f"{label}: invalid regex {rule.regex!r} ({exc})") from None


def run_rules(
    tree: LexborHTMLParser, html: str, rules: tuple[ExtractRule, ...]
) -> tuple[list[Extraction], list[str]]:
    """One `Extraction` per rule, in the rules' order (before the tree loses its scripts), and
    a warning for each rule whose regex ran out of time on the page. lxml parses the page once
    for all its XPath rules, and only when there is one."""
    root = _lxml_root(html) if any(rule.xpath is not None for rule in rules) else None
    found: list[Extraction] = []
    warnings: list[str] = []
    for rule in rules:
        try:
            found.append(_run(tree, root, html, rule))
        except TimeoutError:
            found.append(Extraction(rule.name, [], 0))
            warnings.append(
                f"extract rule {rule.name!r}: its regex ran over {REGEX_SECONDS:g} s on this "
                "page (catastrophic backtracking?); no value kept"
            )
    return found, warnings


def _run(tree: LexborHTMLParser, root: Any, html: str, rule: ExtractRule) -> Extraction:
    """The rule's values on the page; TimeoutError when its regex runs out of time."""
    if rule.xpath is not None:
        sources = _select(root, rule.xpath, rule.attribute)
    elif rule.css is not None:
        nodes = tree.css(rule.css)
        if rule.attribute is None:
            sources = [node.text(separator=" ", strip=True) for node in nodes]
        else:
            sources = [v for n in nodes if (v := n.attributes.get(rule.attribute)) is not None]
    else:
        sources = [html]
    values: list[str] = []
    count = 0
    pattern = None if rule.regex is None else patterns.compiled(rule.regex)
    deadline = time.monotonic() + REGEX_SECONDS
    for source in sources:
        found = [source] if pattern is None else _matches(pattern, source, deadline)
        count += len(found)
        room = MAX_VALUES - len(values)
        values.extend(" ".join(v.split())[:MAX_CHARS] for v in found[:room])
    if rule.mode == "count":
        values = []
    elif rule.mode == "first":
        values = values[:1]
    return Extraction(rule.name, values, count)


def _lxml_root(html: str) -> Any:
    """The page's lxml tree; None when lxml cannot parse it (its XPath rules find nothing)."""
    from lxml import etree

    try:
        return _parse(html)
    except (etree.LxmlError, ValueError):
        return None


def _select(root: Any, expression: str, attribute: str | None) -> list[str]:
    """The expression's values on the page; none when lxml fails on the page."""
    from lxml import etree

    if root is None:
        return []
    try:
        return _values(_xpath(expression)(root), attribute)
    except (etree.LxmlError, ValueError):
        return []


def _parse(html: str) -> Any:
    """The page as lxml reads HTML (bytes, so a page's own `<?xml encoding?>` cannot clash)."""
    import lxml.html

    parser = lxml.html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=False)
    return lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)


def _values(result: Any, attribute: str | None) -> list[str]:
    """An XPath result as text values: an element's text (or its `attribute`, when it has
    it), a string's own value, a number as XPath prints it, a boolean as true/false."""
    if isinstance(result, bool):
        return ["true" if result else "false"]
    if isinstance(result, float):
        return [_number(result)]
    if isinstance(result, str):
        return [str(result)] if result else []
    values: list[str] = []
    for item in result:
        if isinstance(item, str):
            values.append(str(item))
        elif isinstance(item, tuple):  # a namespace node: (prefix, URI)
            values.append(str(item[1]))
        elif not isinstance(item.tag, str):  # a comment or processing instruction
            values.append(item.text or "")
        elif attribute is None:
            values.append(" ".join(t.strip() for t in item.itertext() if t.strip()))
        elif (value := item.get(attribute)) is not None:
            values.append(value)
    return values


def _number(value: float) -> str:
    """As XPath's string() prints a number (1 not 1.0; NaN, Infinity)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return str(int(value)) if value.is_integer() else repr(value)


@lru_cache(maxsize=64)
def _xpath(expression: str) -> Any:
    from lxml import etree

    return etree.XPath(expression, smart_strings=False)


def _matches(pattern: Any, text: str, deadline: float) -> list[str]:
    """Group 1 (or the whole match) of every match; TimeoutError past `deadline`."""
    group = 1 if pattern.groups else 0
    timeout = max(deadline - time.monotonic(), 0.001)
    return [m.group(group) or "" for m in pattern.finditer(text, timeout=timeout)]
