"""A chat-format training set from accepted drafts: the pure core of `marketloop tune dataset`.

Each accepted draft becomes one example: the draft prompt's own messages (system and user: the
brief and its inputs, exactly what production sends) and, as the assistant's answer, the
accepted text: the editor's version from Notion when the published page was edited, else the
draft. Drafts come from two sources, recorded per example (`source`): briefs editors approved
(`published`, sources.py) and eval-run outputs that passed their suite (`eval`,
eval_outputs.py). Then:

- drop drafts whose eval score (share of their guardrail checks passed) is under the minimum;
- scrub secrets, emails and phone numbers (`scrub.py`) from every message;
- deduplicate: an example whose prompt or whose answer (case and spacing ignored) was already
  taken is dropped; an editor's approval beats an eval's pass, then the most recent one is kept;
- split by cluster, so that no cluster has examples in both train and validation;
- count tokens (estimated at 4 characters a token, as no tokenizer of the hosted models ships
  offline) and price the training per model from `[llm] training_prices`.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marketloop.content.brief import Brief
from marketloop.content.tune.scrub import scrub

Messages = list[dict[str, str]]
PUBLISHED = {"kind": "published"}
RANK = {"published": 0, "eval": 1}  # who wins a duplicate: editors, then evals


@dataclass(frozen=True)
class Approved:
    """One approved brief and the texts around it."""

    brief: Brief
    draft: str  # what marketloop wrote (and published)
    eval_score: float  # share of the draft's guardrail checks passed, 0–1
    approved_at: datetime  # the editor's approval, or the eval run's start
    edited: str | None = None  # the page's text when an editor changed it
    source: dict[str, str] = field(default_factory=lambda: dict(PUBLISHED))  # provenance


@dataclass(frozen=True)
class Example:
    slug: str
    cluster: str
    messages: Messages
    split: str  # train | validation
    tokens: int
    eval_score: float
    edited: bool
    diff_lines: int  # lines added + removed by the editor
    scrubbed: dict[str, int]
    source: dict[str, str]

    def meta(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "messages"}


@dataclass
class Dataset:
    examples: list[Example] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)  # slug, reason, source

    def split(self, name: str) -> list[Example]:
        return [e for e in self.examples if e.split == name]

    def drop(self, item: Approved, reason: str, **more: Any) -> None:
        self.dropped.append(
            {"slug": item.brief.slug, "reason": reason, **more, **_not_published(item)}
        )

    def tokens(self, name: str | None = None) -> int:
        return sum(e.tokens for e in self.examples if name is None or e.split == name)


def build(
    approved: Iterable[Approved],
    render: Callable[[Brief], Messages],
    *,
    min_score: float = 1.0,
    validation_share: float = 0.2,
) -> Dataset:
    """The examples of `approved`, split by cluster. Of duplicates, an editor's approval wins
    over an eval's pass, then the newest."""
    dataset = Dataset()
    seen: dict[str, Approved] = {}
    kept: list[tuple[Approved, Messages, dict[str, int]]] = []
    newest = sorted(approved, key=lambda a: a.approved_at, reverse=True)
    for item in sorted(newest, key=lambda a: RANK.get(a.source["kind"], len(RANK))):
        if item.eval_score < min_score:
            dataset.drop(item, f"eval score {item.eval_score:.2f}")
            continue
        target = item.edited if item.edited is not None else item.draft
        messages, found = _scrubbed([*render(item.brief), _assistant(target)])
        keys = ["p:" + _key(messages[:-1]), "a:" + _key(messages[-1:])]
        first = next((seen[k] for k in keys if k in seen), None)
        if first is not None:
            dataset.drop(item, "duplicate", duplicate_of={"slug": first.brief.slug, **first.source})
            continue
        seen.update(dict.fromkeys(keys, item))
        kept.append((item, messages, found))
    validation = validation_clusters({a.brief.cluster for a, _, _ in kept}, validation_share)
    for item, messages, found in sorted(kept, key=lambda k: (k[0].brief.slug, _order(k[0]))):
        edited = item.edited is not None
        dataset.examples.append(
            Example(
                slug=item.brief.slug,
                cluster=item.brief.cluster,
                messages=messages,
                split="validation" if _norm(item.brief.cluster) in validation else "train",
                tokens=count_tokens(messages),
                eval_score=round(item.eval_score, 3),
                edited=edited,
                diff_lines=diff_lines(item.draft, item.edited) if edited else 0,
                scrubbed=found,
                source=item.source,
            )
        )
    return dataset


def validation_clusters(clusters: set[str], share: float) -> set[str]:
    """About `share` of the clusters (by a stable hash of the name), at least one when there
    are two or more, never all of them."""
    names = sorted({_norm(c) for c in clusters}, key=lambda n: (_unit(n), n))
    if len(names) < 2 or share <= 0:
        return set()
    chosen = [n for n in names if _unit(n) < share] or names[:1]
    return set(chosen[: len(names) - 1])


def count_tokens(messages: Messages) -> int:
    """Estimated tokens of a chat example: 4 characters a token, 4 per message, 3 per reply."""
    return sum(math.ceil(len(m["content"]) / 4) + 4 for m in messages) + 3


def diff_lines(before: str, after: str | None) -> int:
    if after is None:
        return 0
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---"))


def training_costs(
    dataset: Dataset, price_of: Callable[[str], float | None], models: Iterable[str], epochs: int
) -> list[dict[str, Any]]:
    """What training on the train split would cost per model (None: price unknown)."""
    trained = dataset.tokens("train") * epochs
    rows = []
    for model in models:
        price = price_of(model)
        cost = None if price is None else round(trained * price / 1_000_000, 4)
        rows.append({"provider": "openai", "model": model, "trained_tokens": trained, "usd": cost})
    rows.append(
        {"provider": "local", "model": "(your model)", "trained_tokens": trained, "usd": 0.0}
    )
    return rows


def _not_published(item: Approved) -> dict[str, Any]:
    """Where a left-out draft came from, when that is not the briefs folder (its slug says it)."""
    return {} if item.source == PUBLISHED else {"source": item.source}


def _order(item: Approved) -> str:
    return "\t".join(item.source.values())


def _assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text.strip()}


def _scrubbed(messages: Messages) -> tuple[Messages, dict[str, int]]:
    total: Counter[str] = Counter()
    clean = []
    for message in messages:
        text, found = scrub(message["content"])
        total.update(found)
        clean.append({"role": message["role"], "content": text})
    return clean, dict(total)


def _key(messages: Messages) -> str:
    text = "\n".join(_norm(m["content"]) for m in messages)
    return hashlib.sha256(text.encode()).hexdigest()


_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def _unit(name: str) -> float:
    return int(hashlib.sha256(name.encode()).hexdigest()[:12], 16) / 16**12
