"""The regexes a user writes for a crawl, compiled and run with the `regex` package.

`--include`/`--exclude` (`crawl.include`, `crawl.exclude`, the `crawl` action's arguments), the
replace rules of `[crawl.rewrite]` and the regexes of `[[crawl.extract]]` rules all run over text
a crawled site chose (its URLs, its pages). With `re` a pattern that backtracks catastrophically
(`(a|a)+$`, `(\\w+/?)+\\.html$` on a long path without `.html`) can take hours on one string, and
`re` has no time limit; the `regex` package takes a `timeout=` on every match (it raises
TimeoutError). Its syntax is `re`'s, plus atomic groups and possessive quantifiers.

Each caller decides what a timeout means (always the safe side, and said in one warning line
naming the rule): an include or exclude rule leaves the URL out of the crawl, a replace rule
leaves the URL as it was found, an extract rule keeps no value on that page.

The limit costs about 2 µs per match (mostly the `timeout=` itself): an include and an exclude
rule take 4.4 µs per URL instead of 0.6 µs with `re` (`python -m bench patterns`, 100,000
distinct URLs). The scope and the rewriter remember their
answers for the URLs they saw last, so a site-wide link is matched once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import regex

#: a URL rule's time on one URL (a normal pattern takes microseconds on a URL)
URL_SECONDS = 0.1

#: what `compiled` raises on a pattern that does not compile (`regex`'s, not `re.error`)
Error = regex.error


@lru_cache(maxsize=256)
def compiled(expression: str) -> Any:
    """The compiled `regex` pattern (the package has no type stubs); `Error` if it is invalid.
    Call its methods with `timeout=` (seconds): past it they raise TimeoutError."""
    return regex.compile(expression)


def template_error(pattern: Any, template: str) -> str | None:
    """Why `template` cannot replace a match of `pattern` (a group it lacks, a bad escape), or
    None. `regex` reads a template only at the first match, so it is tried here on a pattern with
    the same groups that matches the empty string."""
    names = {index: name for name, index in pattern.groupindex.items()}
    groups = "".join(
        f"(?P<{names[i]}>)" if i in names else "()" for i in range(1, pattern.groups + 1)
    )
    try:
        regex.compile(groups).sub(template, "")
    except (regex.error, IndexError) as exc:
        return str(exc)
    return None


def shown(text: str, limit: int = 200) -> str:
    """`text` for a warning line: at most `limit` characters (a URL can be megabytes long)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"
