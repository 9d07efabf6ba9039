"""`marketloop tune dataset` end to end (the I/O edge of `dataset.py`): read the sources
(approved briefs, their pages read back from Notion when it is configured; eval-run outputs
that passed), build, and write

    DIR/train.jsonl        {"messages": [system, user, assistant]} per line (OpenAI's format)
    DIR/validation.jsonl   the same, for clusters kept out of training
    DIR/manifest.json      counts, tokens, costs per provider, every example's metadata
                           (slug, cluster, split, eval score, edited, diff size, scrubbed,
                           source), and every draft left out with the reason
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url, require_secret
from marketloop.content.llm.prompts import load_prompt
from marketloop.content.tune import reviews
from marketloop.content.tune.dataset import Approved, Dataset, Messages, build, training_costs
from marketloop.content.tune.eval_outputs import passed_outputs
from marketloop.content.tune.notion_text import PageReader
from marketloop.content.tune.sources import approved_briefs
from marketloop.integrations.notion import NotionClient
from marketloop.workspace import write_atomic

TRAIN, VALIDATION, MANIFEST = "train.jsonl", "validation.jsonl", "manifest.json"
COST_MODELS = ("gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o-mini", "gpt-4.1")
SOURCES = ("published", "evals")  # approved briefs; eval-run outputs that passed


@dataclass(frozen=True)
class DatasetOptions:
    briefs: Path
    out: Path
    since: datetime | None = None
    min_eval_score: float = 1.0
    validation_share: float = 0.2
    epochs: int = 3
    notion: bool = True  # read published pages back when Notion is configured
    sources: tuple[str, ...] = ("published",)
    eval_runs: tuple[str, ...] = ()  # the `evals` source's runs; none: every run


def make_dataset(settings: Settings, options: DatasetOptions) -> dict[str, Any]:
    """Build and write the dataset; returns the manifest."""
    engine = open_app_db(app_db_url(settings))
    prompt = load_prompt(settings.content.draft_prompt, settings.content.prompts_dir)
    banned = settings.content.banned_phrases

    def render(brief: Any) -> Messages:
        return prompt.render(brief=brief, banned=banned)

    found: list[Approved] = []
    skipped: list[dict[str, Any]] = []
    read_back = False
    if "published" in options.sources:
        with _reader(settings, engine, options.notion) as pages:
            found, skipped = approved_briefs(
                options.briefs, reviews.latest(engine), since=options.since, pages=pages
            )
        read_back = pages is not None
    if "evals" in options.sources:
        passed, failed = passed_outputs(engine, runs=options.eval_runs, since=options.since)
        found, skipped = found + passed, skipped + failed
    dataset = build(
        found, render, min_score=options.min_eval_score, validation_share=options.validation_share
    )
    manifest = _manifest(settings, options, dataset, skipped, prompt.ref, read_back)
    write_dataset(options.out, dataset, manifest)
    return manifest


def write_dataset(out: Path, dataset: Dataset, manifest: dict[str, Any]) -> None:
    for name, split in ((TRAIN, "train"), (VALIDATION, "validation")):
        lines = [
            json.dumps({"messages": e.messages}, ensure_ascii=False) for e in dataset.split(split)
        ]
        write_atomic(out / name, "".join(line + "\n" for line in lines))
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def read_manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return data


@contextmanager
def _reader(settings: Settings, engine: Any, wanted: bool) -> Iterator[PageReader | None]:
    if not wanted or settings.notion.token is None:
        yield None
        return
    token = require_secret(settings.notion.token, section="notion", field="token")
    with NotionClient(settings.notion, token) as client:
        yield PageReader(client, engine)


def _manifest(
    settings: Settings,
    options: DatasetOptions,
    dataset: Dataset,
    skipped: list[dict[str, Any]],
    prompt: str,
    notion: bool,
) -> dict[str, Any]:
    examples = dataset.examples
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sources": list(options.sources),
        "briefs": str(options.briefs) if "published" in options.sources else None,
        "eval_runs": (list(options.eval_runs) or "all") if "evals" in options.sources else None,
        "prompt": prompt,
        "since": options.since.isoformat() if options.since else None,
        "min_eval_score": options.min_eval_score,
        "notion_read_back": notion,
        "counts": {
            "train": len(dataset.split("train")),
            "validation": len(dataset.split("validation")),
            "edited": sum(e.edited for e in examples),
            "left_out": len(skipped) + len(dataset.dropped),
        },
        "by_source": dict(Counter(e.source["kind"] for e in examples)),
        "tokens": {"train": dataset.tokens("train"), "validation": dataset.tokens("validation")},
        "costs": training_costs(
            dataset, settings.llm.training_price_of, COST_MODELS, options.epochs
        ),
        "epochs_priced": options.epochs,
        "examples": [e.meta() for e in examples],
        "left_out": skipped + dataset.dropped,
    }
