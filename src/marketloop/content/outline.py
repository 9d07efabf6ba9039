"""The shape of a piece from its cluster: keywords by weight, subtopics, the outline, questions.

Pure and deterministic: keywords are ordered by volume (then as given), subtopics by the
summed volume of their keywords (then by name), so the same cluster always gives the same
outline.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from marketloop.content.brief import InternalLink, OutlineItem
from marketloop.content.text import (
    STOPWORDS,
    acronyms,
    as_question,
    distinct_topics,
    is_question,
    sentence_case,
    title_case,
    tokens,
    unique,
    words,
)
from marketloop.keywords.model import Cluster, Intent

MAX_SUBTOPICS = 6
BUYING_WORDS = frozenset(
    ["pricing", "price", "prices", "cost", "costs", "buy", "plans", "trial", "discount", "coupon"]
)
MAX_QUESTIONS = 8
SUBTOPIC_NOTE = "Cover: "  # how a subtopic section's notes start

INTRO = {
    "informational": "What is {head}?",
    "commercial": "What to look for in {head}",
    "transactional": "What you get with {head}",
    "navigational": "{Head} at a glance",
}
CLOSING = {
    "informational": "Putting {head} into practice",
    "commercial": "How to decide",
    "transactional": "Getting started",
    "navigational": "Where to go next",
}
QUESTION_TEMPLATES = {
    "informational": [
        "What is {head}?",
        "Why does {head} matter?",
        "How do you start with {head}?",
    ],
    "commercial": [
        "How do you choose {head}?",
        "How much does {head} cost?",
        "What are the alternatives to {head}?",
    ],
    "transactional": [
        "How much does {head} cost?",
        "Is there a free trial of {head}?",
        "How long does it take to set up {head}?",
    ],
    "navigational": ["Where do you find {head}?", "Who can help with {head}?"],
}


@dataclass(frozen=True)
class Subtopic:
    name: str  # the modifier the keywords share, e.g. "small business"
    keywords: tuple[str, ...]  # heaviest first
    volume: int


def ranked_keywords(cluster: Cluster) -> list[str]:
    """The cluster's keywords, heaviest first; the cluster name leads (it is the head term)."""
    volume = {m.keyword.lower(): m.volume for m in cluster.members}
    order = {k.lower(): i for i, k in enumerate(cluster.keywords)}
    rest = [k for k in unique(cluster.keywords) if k.lower() != cluster.cluster.lower()]
    rest.sort(key=lambda k: (-volume.get(k.lower(), 0), order[k.lower()]))
    return [cluster.cluster, *rest]


def subtopics(cluster: Cluster) -> list[Subtopic]:
    """Group the non-question keywords by the words they add to the head term."""
    head = set(words(cluster.cluster))
    volume = {m.keyword.lower(): m.volume for m in cluster.members}
    groups: dict[str, list[str]] = defaultdict(list)
    for keyword in ranked_keywords(cluster)[1:]:
        if is_question(keyword):
            continue
        modifier = [w for w in words(keyword) if w not in head and w not in STOPWORDS]
        if modifier:
            groups[modifier[0]].append(keyword)
    found = []
    for members in groups.values():
        extra = [w for w in words(members[0]) if w not in head and w not in STOPWORDS]
        weight = sum(volume.get(k.lower(), 0) for k in members)
        found.append(Subtopic(" ".join(extra), tuple(members), weight))
    return sorted(found, key=lambda s: (-s.volume, -len(s.keywords), s.name))


def questions(cluster: Cluster, intent: Intent) -> list[str]:
    """Question-form keywords of the cluster first, then the intent's standard questions."""
    asked = [sentence_case(as_question(k)) for k in ranked_keywords(cluster) if is_question(k)]
    head = product(acronyms(cluster.cluster))
    templates = [q.format(head=head) for q in QUESTION_TEMPLATES[intent]]
    return distinct_topics([*asked, *templates])[:MAX_QUESTIONS]


def outline(
    cluster: Cluster, intent: Intent, asked: list[str], links: list[InternalLink]
) -> list[OutlineItem]:
    """Intro, one H2 per subtopic (H3s for its other keywords), an FAQ, a closing section."""
    head = acronyms(cluster.cluster)
    fmt = {"head": product(head), "Head": title_case(head)}
    plain = [k for k in ranked_keywords(cluster)[1:] if not subtopic_of(k, cluster)]
    intro = sentence_case(INTRO[intent].format(**fmt))
    items = [OutlineItem(level=2, heading=intro, notes=_intro_notes(plain))]
    for topic in subtopics(cluster)[:MAX_SUBTOPICS]:
        items.append(
            OutlineItem(
                level=2,
                heading=title_case(topic.keywords[0]),
                notes=_section_notes(topic.keywords, links, tokens(cluster.cluster)),
            )
        )
        items.extend(OutlineItem(level=3, heading=title_case(k)) for k in topic.keywords[1:3])
    asked = [q for q in asked if tokens(q) != tokens(intro)]  # the intro answers that one
    if asked:
        items.append(
            OutlineItem(
                level=2,
                heading="Frequently asked questions",
                notes="Answer each in two to four sentences.",
            )
        )
        items.extend(OutlineItem(level=3, heading=q) for q in asked)
    closing = "Sum up in three bullets, then end with the call to action."
    heading = sentence_case(CLOSING[intent].format(**fmt))
    items.append(OutlineItem(level=2, heading=heading, notes=closing))
    return items


def product(head: str) -> str:
    """What a buying query is about: `marketing automation pricing` → `marketing automation`."""
    kept = [w for w in head.split() if w.lower() not in BUYING_WORDS]
    return " ".join(kept) or head


def subtopic_of(keyword: str, cluster: Cluster) -> bool:
    head = set(words(cluster.cluster))
    return any(w not in head and w not in STOPWORDS for w in words(keyword))


def _intro_notes(variants: list[str]) -> str:
    note = "Answer the query in the first two sentences, then say who this is for."
    if variants:
        note += " Also searched as: " + ", ".join(variants[:5]) + "."
    return note


def _section_notes(
    keywords: tuple[str, ...], links: list[InternalLink], head: frozenset[str]
) -> str:
    note = SUBTOPIC_NOTE + ", ".join(keywords[:6]) + "."
    topic = frozenset().union(*(tokens(k) for k in keywords)) - head
    fitting = [link for link in links if tokens(link.anchor) & topic]
    if fitting:
        note += " Link: " + ", ".join(f"[{x.anchor}]({x.url})" for x in fitting[:2]) + "."
    return note
