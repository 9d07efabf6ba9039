"""Deterministic eval assertions: small declared units in a registry (id, what it checks,
defaults), each a pure function of the case's output. An assertion that cannot apply (a draft
check when only a brief was written) is `skipped` and does not count in pass rates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marketloop.content.brief import Brief
from marketloop.content.errors import EvalError
from marketloop.content.evals.suite import AssertionSpec
from marketloop.content.guardrails import (
    SiteUrls,
    brief_phrases,
    check_banned,
    check_claims,
    check_links,
)
from marketloop.content.offline import META_MAX, META_MIN
from marketloop.content.readability import flesch_reading_ease
from marketloop.content.text import count_phrase, visible_text, words


@dataclass(frozen=True)
class Output:
    """What one case × variant × model produced, and what it is judged against."""

    brief: Brief | None
    draft: str | None = None
    error: str | None = None
    terms: list[str] = field(default_factory=list)  # the case's extra required terms
    known_urls: set[str] | None = None
    banned: list[str] = field(default_factory=list)
    claim_window: int = 160

    @property
    def text(self) -> str:
        """The draft's visible text, or the brief's own prose when there is no draft."""
        if self.draft is not None:
            return visible_text(self.draft)
        if self.brief is None:
            return ""
        b = self.brief
        parts = [*b.title_options, b.h1, b.meta_description, *b.questions]
        parts += [f"{item.heading}. {item.notes}" for item in b.outline]
        return "\n".join(parts)


@dataclass(frozen=True)
class Result:
    name: str
    passed: bool | None  # None: skipped
    score: float | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "score": self.score,
            "detail": self.detail,
        }


Check = Callable[[Output, AssertionSpec], Result]
READABILITY = (50.0, 90.0)  # plain English to easy; under 50 is hard going for web readers


@dataclass(frozen=True)
class Assertion:
    id: str
    description: str
    check: Check


def valid_schema(out: Output, spec: AssertionSpec) -> Result:
    ok = out.brief is not None
    return Result(spec.type, ok, 1.0 if ok else 0.0, "valid Brief" if ok else str(out.error))


def terms_covered(out: Output, spec: AssertionSpec) -> Result:
    if out.brief is None:
        return _skip(spec, "no brief")
    text = out.text
    wanted = [(t.term, t.min_count if out.draft else 1) for t in out.brief.primary_terms]
    wanted += [(t, 1) for t in out.terms]
    missing = [f"{t} ({count_phrase(text, t)}/{n})" for t, n in wanted if count_phrase(text, t) < n]
    share = 1 - len(missing) / len(wanted)
    needed = 1.0 if spec.min_ratio is None else spec.min_ratio
    detail = f"{len(wanted) - len(missing)}/{len(wanted)} terms" + (
        f"; short: {', '.join(missing)}" if missing else ""
    )
    return Result(spec.type, share >= needed, round(share, 3), detail)


def word_count(out: Output, spec: AssertionSpec) -> Result:
    if out.draft is None or out.brief is None:
        return _skip(spec, "no draft")
    count = len(words(out.text))
    low = spec.min if spec.min is not None else out.brief.word_count_min
    high = spec.max if spec.max is not None else out.brief.word_count_max
    return Result(
        spec.type, low <= count <= high, float(count), f"{count} words ({low:g}–{high:g})"
    )


def readability(out: Output, spec: AssertionSpec) -> Result:
    if out.draft is None:
        return _skip(spec, "no draft")
    score = flesch_reading_ease(out.draft)
    low = READABILITY[0] if spec.min is None else spec.min
    high = READABILITY[1] if spec.max is None else spec.max
    return Result(spec.type, low <= score <= high, score, f"Flesch {score} ({low:g}–{high:g})")


def no_banned_phrases(out: Output, spec: AssertionSpec) -> Result:
    check = check_banned(out.text, out.banned)
    return Result(spec.type, check.passed, float(len(check.findings)), _detail(check.findings))


def no_unsupported_claims(out: Output, spec: AssertionSpec) -> Result:
    if out.draft is None:
        return _skip(spec, "no draft")
    exempt = brief_phrases(out.brief) if out.brief else []
    check = check_claims(out.draft, out.claim_window, exempt=exempt)
    return Result(spec.type, check.passed, float(len(check.findings)), _detail(check.findings))


def links_valid(out: Output, spec: AssertionSpec) -> Result:
    if out.brief is None:
        return _skip(spec, "no brief")
    if out.draft is None:
        if out.known_urls is None:
            return _skip(spec, "no crawl to check the brief's links against")
        planned = [link.url for link in out.brief.internal_links]
        bad = SiteUrls(out.known_urls).unknown(planned, out.known_urls)
        return Result(spec.type, not bad, float(len(bad)), _detail(bad))
    check = check_links(out.draft, out.brief, out.known_urls)
    broken = [f for f in check.findings if not f.startswith("not used")]
    return Result(spec.type, check.passed, float(len(broken)), check.detail)


def meta_length(out: Output, spec: AssertionSpec) -> Result:
    if out.brief is None:
        return _skip(spec, "no brief")
    size = len(out.brief.meta_description)
    low = META_MIN if spec.min is None else spec.min
    high = META_MAX if spec.max is None else spec.max
    return Result(spec.type, low <= size <= high, float(size), f"{size} characters")


REGISTRY: dict[str, Assertion] = {
    a.id: a
    for a in (
        Assertion("valid_schema", "the brief validates against the Brief contract", valid_schema),
        Assertion(
            "terms_covered",
            "primary terms (and the case's terms) at their target counts; min_ratio relaxes",
            terms_covered,
        ),
        Assertion("word_count", "draft length within min–max (default: the brief's)", word_count),
        Assertion("readability", "Flesch reading ease within min–max (default 50–90)", readability),
        Assertion("no_banned_phrases", "none of [content] banned_phrases", no_banned_phrases),
        Assertion(
            "no_unsupported_claims",
            "statistics and superlatives only next to a source",
            no_unsupported_claims,
        ),
        Assertion("links_valid", "internal links point at crawled pages", links_valid),
        Assertion("meta_length", "meta description within 70–155 characters", meta_length),
    )
}
DEFAULT_ASSERTIONS = [AssertionSpec(type=name) for name in REGISTRY]


def evaluate(out: Output, specs: list[AssertionSpec]) -> list[Result]:
    results = []
    for spec in specs or DEFAULT_ASSERTIONS:
        assertion = REGISTRY.get(spec.type)
        if assertion is None:
            raise EvalError(
                f"unknown assertion {spec.type!r}", hint=f"known: {', '.join(sorted(REGISTRY))}"
            )
        results.append(assertion.check(out, spec))
    return results


def _skip(spec: AssertionSpec, why: str) -> Result:
    return Result(spec.type, None, None, f"skipped: {why}")


def _detail(findings: list[str]) -> str:
    return "; ".join(findings[:3]) + (f" (+{len(findings) - 3})" if len(findings) > 3 else "")
