"""hreflang annotations: every alternate must answer 200 and link back (return link).

The annotations are those of `page_hreflang` (crawl/dataset.py): the HTML, the Link header and
the sitemaps' xhtml:link alternates together, so a return link may come from any of them."""

from collections.abc import Iterator
from typing import Any

from marketloop.audit.checks.scope import HTML_PAGES
from marketloop.audit.model import CheckContext, Finding, Severity
from marketloop.audit.registry import python_check

X_DEFAULT = "x-default"


@python_check(
    "hreflang_broken",
    Severity.critical,
    scope=HTML_PAGES + " with hreflang annotations (HTML, Link header or sitemap xhtml:link); "
    "alternates the crawl did not fetch are not judged",
    description="An hreflang alternate does not answer 200, or does not link back. The "
    "x-default alternate is the fallback for every other language (often a language selector "
    "or a home page that redirects by locale, as Google documents), so it need not link back "
    "and may redirect; only an error or no response there is reported.",
    fix="Search engines ignore hreflang pairs that are not confirmed from both sides or point "
    "at errors and redirects, so the wrong language version ranks. Point every alternate at "
    "a live 200 URL and make each alternate list the page in its own hreflang set.",
)
def hreflang_broken(ctx: CheckContext) -> Iterator[Finding]:
    annotated = {
        row["url"]: [(a["lang"], a["url"]) for a in row["hreflang"]]
        for row in ctx.rows(
            "SELECT url, hreflang FROM page_hreflang WHERE url IN (SELECT url FROM html_pages)"
        )
    }
    states = {
        row["url"]: row
        for row in ctx.rows(
            "SELECT url, status, blocker FROM page_state WHERE url IN "
            "(SELECT unnest(hreflang).url FROM page_hreflang)"
        )
    }
    returns = {url: {target for _, target in alternates} for url, alternates in annotated.items()}
    for url, alternates in annotated.items():
        problems = []
        for lang, target in alternates:
            state = states.get(target)
            if target == url or state is None:
                continue
            problem = _problem(lang, state, linked_back=url in returns.get(target, set()))
            if problem:
                problems.append(f"{lang} → {target}: {problem}")
        if problems:
            yield Finding(url, "; ".join(problems), value=len(problems))


def _problem(lang: str, state: dict[str, Any], *, linked_back: bool) -> str | None:
    """What is wrong with one alternate; x-default may redirect and need not link back."""
    status = state["status"]
    if lang.lower() == X_DEFAULT:
        redirects = status is not None and 300 <= status <= 399
        return None if status == 200 or redirects else f"not 200 ({state['blocker']})"
    if status != 200:
        return f"not 200 ({state['blocker']})"
    return None if linked_back else "no return link"
