"""hreflang annotations: every alternate must answer 200 and link back (return link)."""

from collections.abc import Iterator

from marketloop.audit.checks.scope import HTML_PAGES
from marketloop.audit.model import CheckContext, Finding, Severity
from marketloop.audit.registry import python_check


@python_check(
    "hreflang_broken",
    Severity.critical,
    scope=HTML_PAGES + " with hreflang annotations; alternates the crawl did not fetch are "
    "not judged",
    description="An hreflang alternate does not answer 200, or does not link back.",
    fix="Search engines ignore hreflang pairs that are not confirmed from both sides or point "
    "at errors and redirects, so the wrong language version ranks. Point every alternate at "
    "a live 200 URL and make each alternate list the page in its own hreflang set.",
)
def hreflang_broken(ctx: CheckContext) -> Iterator[Finding]:
    annotated = {
        row["url"]: [(a["lang"], a["url"]) for a in row["hreflang"]]
        for row in ctx.rows("SELECT url, hreflang FROM html_pages WHERE len(hreflang) > 0")
    }
    states = {
        row["url"]: row
        for row in ctx.rows(
            "SELECT url, status, blocker FROM page_state WHERE url IN "
            "(SELECT unnest(hreflang).url FROM html_pages)"
        )
    }
    returns = {url: {target for _, target in alternates} for url, alternates in annotated.items()}
    for url, alternates in annotated.items():
        problems = []
        for lang, target in alternates:
            state = states.get(target)
            if target == url or state is None:
                continue
            if state["status"] != 200:
                problems.append(f"{lang} → {target}: not 200 ({state['blocker']})")
            elif url not in returns.get(target, set()):
                problems.append(f"{lang} → {target}: no return link")
        if problems:
            yield Finding(url, "; ".join(problems), value=len(problems))
