"""Custom extraction (pure): the `[[crawl.extract]]` rules run over one parsed page, as
Screaming Frog's custom extraction does.

    [[crawl.extract]]
    name = "price"                 # letters, digits, _ and -; unique
    css = "span.price"             # a CSS selector (selectolax/lexbor); optional with a regex
    attribute = "content"          # the attribute's value instead of the element's text
    regex = '(\\d+[.,]\\d{2})'     # optional: over each value (or the raw HTML without css);
                                   # group 1 when the regex has a group, else the whole match
    mode = "first"                 # first | all | count

Values are whitespace-collapsed, at most `MAX_VALUES` kept per rule and page, each cut at
`MAX_CHARS` characters; `matches` counts every match on the page. The rules are checked when the
settings load (`check_rule`), so a crawl never starts with a selector or regex that cannot run.
"""

from __future__ import annotations

import re
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from marketloop.crawl.records import Extraction, ExtractRule

MAX_VALUES = 100
MAX_CHARS = 1_000
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_rule(rule: ExtractRule) -> None:
    """Raise ValueError naming the rule when it cannot run."""
    label = f"extract rule {rule.name!r}"
    if not NAME.match(rule.name):
        raise ValueError(f"{label}: a name is 1 to 64 letters, digits, '_' or '-'")
    if rule.attribute is not None and rule.css is None:
        raise ValueError(f"{label}: attribute needs a css selector")
    if rule.css is None and rule.regex is None:
        raise ValueError(f"{label}: give a css selector, a regex, or both")
    if rule.css is not None:
        try:
            LexborHTMLParser("<p></p>").css(rule.css)
        except (SelectolaxError, ValueError) as exc:
            raise ValueError(f"{label}: invalid CSS selector {rule.css!r} ({exc})") from None
    if rule.regex is not None:
        try:
            re.compile(rule.regex)
        except re.error as exc:
            raise ValueError(f"{label}: invalid regex {rule.regex!r} ({exc})") from None


def run_rules(
    tree: LexborHTMLParser, html: str, rules: tuple[ExtractRule, ...]
) -> list[Extraction]:
    """One `Extraction` per rule, in the rules' order (before the tree loses its scripts)."""
    return [_run(tree, html, rule) for rule in rules]


def _run(tree: LexborHTMLParser, html: str, rule: ExtractRule) -> Extraction:
    if rule.css is None:
        sources = [html]
    else:
        nodes = tree.css(rule.css)
        if rule.attribute is None:
            sources = [node.text(separator=" ", strip=True) for node in nodes]
        else:
            sources = [v for n in nodes if (v := n.attributes.get(rule.attribute)) is not None]
    values: list[str] = []
    count = 0
    pattern = _compiled(rule.regex)
    for source in sources:
        found = [source] if pattern is None else _matches(pattern, source)
        count += len(found)
        room = MAX_VALUES - len(values)
        values.extend(" ".join(v.split())[:MAX_CHARS] for v in found[:room])
    if rule.mode == "count":
        values = []
    elif rule.mode == "first":
        values = values[:1]
    return Extraction(rule.name, values, count)


def _matches(pattern: re.Pattern[str], text: str) -> list[str]:
    group = 1 if pattern.groups else 0
    return [m.group(group) or "" for m in pattern.finditer(text)]


@lru_cache(maxsize=64)
def _compiled(regex: str | None) -> re.Pattern[str] | None:
    return re.compile(regex) if regex is not None else None
