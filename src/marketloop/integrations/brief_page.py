"""A brief as the content of a Notion page: its field values and its body blocks. Pure.

The body reads top to bottom like the brief itself: summary, outline (the article's H2/H3 as
headings with their notes), terms, questions, links, the call to action as a callout, scope and
sources, then the draft (Markdown converted to blocks) when there is one.
"""

from __future__ import annotations

from typing import Any

from marketloop.content.brief import Brief, TermTarget
from marketloop.integrations.blocks import (
    Block,
    Span,
    bullet,
    callout,
    divider,
    heading,
    paragraph,
)
from marketloop.integrations.markdown import inline_spans, markdown_blocks

ID_PREFIX = "brief:"


def marketloop_id(brief: Brief) -> str:
    """The stable id that ties a brief to its Notion page (and its webhook events)."""
    return f"{ID_PREFIX}{brief.slug}"


def page_fields(brief: Brief, status_names: dict[str, str]) -> dict[str, Any]:
    """Field values by brief field name (see `NotionProperties`), before any Notion typing."""
    return {
        "title": brief.title_options[0],
        "cluster": brief.cluster,
        "intent": brief.intent,
        "opportunity": round(brief.opportunity, 2),
        "status": status_names.get(brief.status, brief.status),
        "owner": brief.owner,
        "marketloop_id": marketloop_id(brief),
    }


def brief_blocks(brief: Brief, draft: str | None = None) -> list[Block]:
    """The page body for `brief`, with `draft` (Markdown) appended when given."""
    blocks = _summary(brief) + _outline(brief) + _terms(brief) + _questions(brief)
    blocks += _links(brief) + callout(
        [Span("Call to action: ", bold=True), Span(brief.call_to_action)]
    )
    blocks += _listed("Out of scope", brief.out_of_scope) + _listed("Sources", brief.sources)
    if draft and draft.strip():
        blocks += divider() + heading(1, "Draft") + markdown_blocks(draft)
    return blocks


ACTIONS = {
    "new": "write a new page",
    "update": "update the page that serves this cluster:",
    "consolidate": "merge the pages splitting this cluster into",
}


def _summary(brief: Brief) -> list[Block]:
    blocks = heading(1, "Summary") + _action(brief)
    blocks += _labelled("H1", brief.h1)
    blocks += _labelled("Meta description", brief.meta_description)
    blocks += _labelled("Intent", f"{brief.intent} · audience: {brief.audience}")
    blocks += _labelled("Length", f"{brief.word_count_min:,}–{brief.word_count_max:,} words")
    if len(brief.title_options) > 1:
        blocks += paragraph([Span("Title options", bold=True)])
        for title in brief.title_options:
            blocks += bullet(title)
    return blocks


def _action(brief: Brief) -> list[Block]:
    """What to do with the site's pages: new, or update/consolidate naming the pages."""
    spans = [Span("Action: ", bold=True), Span(ACTIONS[brief.action])]
    if brief.target_url:
        spans += [Span(" "), _url_span(brief.target_url)]
    blocks = paragraph(spans)
    for url in brief.existing_pages:
        if url != brief.target_url:
            blocks += bullet([_url_span(url)])
    return blocks


def _url_span(url: str) -> Span:
    return Span(url, link=url if url.startswith(("http://", "https://")) else None)


def _outline(brief: Brief) -> list[Block]:
    blocks = heading(1, "Outline")
    for item in brief.outline:
        blocks += heading(item.level, inline_spans(item.heading))
        if item.notes.strip():
            blocks += paragraph(inline_spans(item.notes))
    return blocks


def _terms(brief: Brief) -> list[Block]:
    blocks = heading(1, "Terms")
    for term in brief.primary_terms:
        blocks += bullet([Span(term.term, bold=True), Span(f" — {_count(term)} (primary)")])
    for term in brief.secondary_terms:
        blocks += bullet([Span(term.term), Span(f" — {_count(term)}")])
    return blocks


def _questions(brief: Brief) -> list[Block]:
    return _listed("Questions to answer", brief.questions)


def _links(brief: Brief) -> list[Block]:
    blocks: list[Block] = []
    if brief.internal_links:
        blocks += heading(1, "Internal links to add")
        for link in brief.internal_links:
            blocks += bullet([Span(link.anchor, link=link.url), Span(f" → {link.url}")])
    if brief.link_from:
        blocks += heading(1, "Pages that should link here")
        for url in brief.link_from:
            blocks += bullet([Span(url, link=url)])
    return blocks


def _listed(title: str, items: list[str]) -> list[Block]:
    if not items:
        return []
    blocks = heading(1, title)
    for item in items:
        bare_url = item.startswith(("http://", "https://")) and " " not in item
        blocks += bullet([Span(item, link=item)] if bare_url else inline_spans(item))
    return blocks


def _labelled(label: str, text: str) -> list[Block]:
    return paragraph([Span(f"{label}: ", bold=True), Span(text)])


def _count(term: TermTarget) -> str:
    if term.max_count is None:
        return f"at least {term.min_count}×"
    if term.max_count == term.min_count:
        return f"exactly {term.min_count}×"
    return f"{term.min_count}–{term.max_count}×"
