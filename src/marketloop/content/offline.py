"""The offline brief writer: a useful brief from the data alone, no LLM, deterministic.

    brief = write_brief(cluster, BriefContext(clusters=all_clusters, pages=site_pages))

Titles, H1, meta description, audience and call to action come from the head term and the
intent; the outline and questions from the cluster's keywords (`outline.py`); terms and their
target counts from keyword weight scaled to the word range; links from the crawl and the
cluster map (`site.py`); sources from SERP snapshots when they are known; the action (new
piece, update of the page serving the cluster, or consolidation) from its coverage status
(`coverage.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from marketloop.content import outline as shape
from marketloop.content.brief import Brief, TermTarget
from marketloop.content.coverage import annotate, plan_for
from marketloop.content.site import (
    SitePage,
    TopicIndex,
    cluster_index,
    links_to_add,
    pages_to_link_from,
    related_clusters,
    site_index,
)
from marketloop.content.text import (
    RANKING_WORDS,
    acronyms,
    distinct_topics,
    is_question,
    sentence_case,
    slugify,
    term_tokens,
    title_case,
    unique,
)
from marketloop.keywords.model import Cluster, Intent
from marketloop.keywords.reader import normalise

META_MIN, META_MAX = 70, 155

WORD_RANGE: dict[Intent, tuple[int, int]] = {
    "informational": (1200, 2000),
    "commercial": (1500, 2500),
    "transactional": (600, 1200),
    "navigational": (300, 800),
}
TITLES: dict[Intent, list[str]] = {
    "informational": ["{H}: A Practical Guide", "{H} Explained, Step by Step", "What Is {H}?"],
    "commercial": ["{H}: How to Choose", "{H} Compared: Features and Pricing", "{H} Buyer's Guide"],
    "transactional": ["{P}: Plans and Pricing", "Get Started with {P}", "{P}: Compare Plans"],
    "navigational": ["{H}", "{H}: Where to Find What You Need", "{H} Help and Resources"],
}
META: dict[Intent, str] = {
    "informational": "Learn {head}: {terms} and more, with practical examples and answers to "
    "common questions.",
    "commercial": "Compare {head}: {terms} and what to check before you choose, with honest "
    "trade-offs.",
    "transactional": "{Head}: {terms}, what's included and how to get started in minutes.",
    "navigational": "Find {head} fast: {terms} and links to everything you need.",
}
AUDIENCE: dict[Intent, str] = {
    "informational": "People researching {head} who want a clear, practical explanation",
    "commercial": "Buyers comparing {head} options before a decision",
    "transactional": "Visitors ready to buy or start with {head}",
    "navigational": "Visitors looking for a specific {head} page or resource",
}
CTA: dict[Intent, str] = {
    "informational": "Read the related guides, or subscribe for new articles on {head}",
    "commercial": "Book a demo to see how we handle {head}",
    "transactional": "Start a free trial",
    "navigational": "Go to the {head} page",
}


@dataclass(frozen=True)
class BriefContext:
    """What the writer knows besides the cluster: the other clusters, the site, the SERPs."""

    clusters: Sequence[Cluster] = ()
    pages: Sequence[SitePage] = ()
    # normalised keyword (keywords.reader.normalise) → result URLs, from keywords.reader.read_serps
    serp: Mapping[str, Sequence[str]] = field(default_factory=dict)
    max_internal_links: int = 8
    max_link_from: int = 5

    @cached_property
    def site(self) -> TopicIndex[SitePage]:
        return site_index(self.pages)

    @cached_property
    def cluster_map(self) -> TopicIndex[Cluster]:
        return cluster_index(self.clusters)


# a member whose own intent is one of these (confidently) wants another page than the cluster
CONFLICTS: dict[Intent, frozenset[Intent]] = {
    "informational": frozenset(["commercial", "transactional"]),
    "commercial": frozenset(["navigational"]),
    "transactional": frozenset(["navigational"]),
    "navigational": frozenset(["commercial", "transactional"]),
}
SURE = 0.4  # member intent confidence from which a conflict counts (SERP hints dilute
# a clear "buy X software" to about 0.5; one weak modifier alone scores 0.33)


def write_brief(cluster: Cluster, context: BriefContext, *, slug: str | None = None) -> Brief:
    cluster, off_intent = in_scope(cluster)
    intent = cluster.intent
    head = acronyms(cluster.cluster)
    fmt = {
        "head": head,
        "Head": sentence_case(head),
        "H": title_case(head),
        "P": title_case(shape.product(head)),
    }
    low, high = word_range(cluster)
    primary, secondary = terms(cluster, (low + high) // 2)
    related = related_clusters(cluster, context.cluster_map)
    links = links_to_add(cluster, context.site, related, limit=context.max_internal_links)
    asked = shape.questions(cluster, intent)
    titles = _titles(head, intent, fmt)
    plan = plan_for(cluster)
    page = next((p for p in context.pages if p.url == plan.target_url), None)
    return Brief(
        slug=slug or slugify(cluster.cluster),
        cluster=cluster.cluster.strip(),
        action=plan.action,
        target_url=plan.target_url,
        existing_pages=plan.existing_pages,
        title_options=titles,
        meta_description=meta_description(
            head, intent, [acronyms(t.term) for t in [*primary[1:], *secondary]]
        ),
        h1=titles[0],
        outline=annotate(shape.outline(cluster, intent, asked, links), plan, page),
        primary_terms=primary,
        secondary_terms=secondary,
        questions=asked,
        intent=intent,
        audience=AUDIENCE[intent].format(**fmt),
        word_count_min=low,
        word_count_max=high,
        internal_links=links,
        link_from=pages_to_link_from(cluster, context.site, limit=context.max_link_from),
        call_to_action=CTA[intent].format(**fmt),
        out_of_scope=unique([*off_intent, *(c.cluster for c in related[:5])]),
        sources=sources(cluster, context.serp),
        opportunity=cluster.opportunity,
    )


def in_scope(cluster: Cluster) -> tuple[Cluster, list[str]]:
    """The cluster without the members whose intent conflicts with its own (an informational
    guide gets no "buy utm builder software" term or section), and those keywords.

    Commercial and transactional go together (one buyer journey), and informational members
    of other clusters become questions; a member counts only when its label is sure (`SURE`, 0.4).
    The cluster's name always stays."""
    name = cluster.cluster.strip().lower()
    conflicts = CONFLICTS[cluster.intent]
    off = {
        m.keyword.lower()
        for m in cluster.members
        if m.intent in conflicts
        and (m.intent_confidence or 0.0) >= SURE
        and m.keyword.strip().lower() != name
    }
    if not off:
        return cluster, []
    kept = [k for k in cluster.keywords if k.lower() not in off]
    members = [m for m in cluster.members if m.keyword.lower() not in off]
    scoped = cluster.model_copy(update={"keywords": kept, "members": members})
    return scoped, [k for k in shape.ranked_keywords(cluster) if k.lower() in off]


def word_range(cluster: Cluster) -> tuple[int, int]:
    """The intent's range, scaled 0.8–1.2× by the mean keyword difficulty, rounded to 50."""
    known = [m.difficulty for m in cluster.members if m.difficulty is not None]
    difficulty = sum(known) / len(known) if known else 50.0
    factor = 0.8 + 0.4 * min(max(difficulty, 0.0), 100.0) / 100
    low, high = WORD_RANGE[cluster.intent]
    return _round50(low * factor), _round50(high * factor)


def terms(cluster: Cluster, words: int) -> tuple[list[TermTarget], list[TermTarget]]:
    """Primary terms (head + up to two distinct variants) and secondary terms, with counts.

    The head term appears about once per 350 words, variants once per 900, secondary terms at
    least once; the maxima stop keyword stuffing. In a commercial cluster "best"/"top" make a
    variant of their own ("best crm software" is what buyers search), elsewhere they do not.
    """
    ranked = [k for k in shape.ranked_keywords(cluster) if not is_question(k)]
    keep = RANKING_WORDS if cluster.intent == "commercial" else frozenset()

    def key(text: str) -> frozenset[str]:
        return term_tokens(text, keep)

    head_key = key(cluster.cluster)
    variants = distinct_topics((k for k in ranked[1:] if key(k) != head_key), key)
    head_min = max(2, round(words / 350))
    primary = [TermTarget(term=cluster.cluster.strip(), min_count=head_min, max_count=head_min * 2)]
    variant_min = max(1, round(words / 900))
    primary += [
        TermTarget(term=k, min_count=variant_min, max_count=variant_min * 3) for k in variants[:2]
    ]
    secondary = [TermTarget(term=k, min_count=1, max_count=3) for k in variants[2:10]]
    return primary, secondary


def meta_description(head: str, intent: Intent, secondary: list[str]) -> str:
    """The intent's template with as many secondary terms as fit in 70–155 characters."""
    template = META[intent]
    Head = sentence_case(head)
    for n in range(min(2, len(secondary)), -1, -1):
        listed = ", ".join(secondary[:n]) or "key features"
        text = template.format(head=head, Head=Head, terms=listed)
        if len(text) <= META_MAX:
            break
    if len(text) > META_MAX:
        text = text[: META_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    if len(text) < META_MIN:
        text = (text + " A clear, practical overview for busy teams.")[:META_MAX]
    return text


def sources(cluster: Cluster, serp: Mapping[str, Sequence[str]], limit: int = 10) -> list[str]:
    """Result URLs of the cluster's keywords (heaviest keyword first), without repeats."""
    found: list[str] = []
    for keyword in shape.ranked_keywords(cluster):
        found.extend(serp.get(normalise(keyword), ()))
    return unique(found)[:limit]


def _titles(head: str, intent: Intent, fmt: dict[str, str]) -> list[str]:
    if is_question(head):
        asked = title_case(head.rstrip("?"))
        return unique([f"{asked}: A Step-by-Step Guide", f"{asked}?", f"{asked}, Explained"])
    return unique(t.format(**fmt) for t in TITLES[intent])


def _round50(value: float) -> int:
    return int(round(value / 50) * 50)
