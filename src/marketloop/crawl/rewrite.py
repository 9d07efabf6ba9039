"""URL rewriting (pure): the rules of `[crawl.rewrite]` applied to a URL the crawl discovered,
before it is deduplicated and queued, as Screaming Frog's URL rewriting does.

    [crawl.rewrite]
    remove_params = ["utm_*", "sessionid", "gclid"]   # names or globs, any case
    lowercase = true                                  # the whole URL, after the rules below
    [[crawl.rewrite.replace]]
    pattern = "^http://"                              # a regex over the whole URL, in order
    replacement = "https://"

The steps run in this order: parameters removed (their names percent-decoded and compared
case-insensitively; the other parameters keep their order, an emptied query drops its `?`),
then each replace rule, then lower case; the result is put in normal form again
(`urls.normalize`). A rewrite that leaves no valid http(s) URL is not applied: the URL stays as
it was found. `Rewriter(None)` (no rules) returns every URL unchanged at no cost.

The replace rules run with a time limit (`crawl/patterns.py`): a rule that runs out of time on
a URL (catastrophic backtracking) leaves that URL as it was found, not rewritten at all, and
adds a warning line naming the rule to `warnings`, which the caller takes with `drain()` and
logs (the parser processes send theirs with the page). Parameter names are matched with `re`:
`fnmatch.translate` makes each `*` of a glob an atomic group, which never backtracks.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from urllib.parse import unquote

from marketloop.crawl import patterns
from marketloop.crawl.records import RewriteRules
from marketloop.crawl.urls import try_normalize

CACHE = 1 << 14


class Rewriter:
    __slots__ = ("_cached", "_lowercase", "_params", "_replace", "active", "warnings")

    def __init__(self, rules: RewriteRules | None) -> None:
        rules = rules or RewriteRules()
        self.active = bool(rules.remove_params or rules.replace or rules.lowercase)
        globs = [fnmatch.translate(p.lower()) for p in rules.remove_params]
        self._params = re.compile("|".join(globs)) if globs else None
        self._replace = [(p, patterns.compiled(p), r) for p, r in rules.replace]
        self._lowercase = rules.lowercase
        self._cached = lru_cache(maxsize=CACHE)(self._rewrite)  # site-wide links repeat
        self.warnings: list[str] = []  # a replace rule out of time, until `drain()`

    def __call__(self, url: str) -> str:
        """`url` (normalised) rewritten and normalised again; unchanged without rules."""
        return self._cached(url) if self.active else url

    def drain(self) -> list[str]:
        """The warnings since the last call (a replace rule out of time on a URL)."""
        if not self.warnings:
            return []
        taken, self.warnings = self.warnings, []
        return taken

    def _rewrite(self, url: str) -> str:
        rewritten = self._without_params(url)
        for expression, pattern, replacement in self._replace:
            try:
                rewritten = pattern.sub(replacement, rewritten, timeout=patterns.URL_SECONDS)
            except TimeoutError:
                self.warnings.append(
                    f"crawl.rewrite.replace {expression!r}: the regex ran over "
                    f"{patterns.URL_SECONDS:g} s on {patterns.shown(url)} (catastrophic "
                    "backtracking?); that URL is not rewritten"
                )
                return url
        if self._lowercase:
            rewritten = rewritten.lower()
        return try_normalize(rewritten) or url

    def _without_params(self, url: str) -> str:
        base, mark, query = url.partition("?")
        if self._params is None or not mark:
            return url
        kept = [p for p in query.split("&") if p and not self._drops(p)]
        return f"{base}?{'&'.join(kept)}" if kept else base

    def _drops(self, pair: str) -> bool:
        assert self._params is not None
        name = unquote(pair.partition("=")[0].replace("+", " ")).lower()
        return self._params.fullmatch(name) is not None


@lru_cache(maxsize=8)
def rewriter(rules: RewriteRules | None) -> Rewriter:
    """One compiled rewriter per rule set (each parser process builds it once)."""
    return Rewriter(rules)
