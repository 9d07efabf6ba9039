"""One `briefs generate` run end to end, for the CLI, the demo and the benchmark: the plan
(provider, model, prompts), the LLM session, the generator, and the folder's index (written even
when the run stops on an error).

    run = generate_briefs(settings, clusters, context, make_plan(settings, drafts=True), folder)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from marketloop.config import Settings
from marketloop.content.folder import BriefFolder
from marketloop.content.generate import Generator, Outcome, Plan
from marketloop.content.llm.ledger import Ledger
from marketloop.content.llm.prompts import load_prompt, prompt_kind
from marketloop.content.llm.session import LlmSession, new_run_id
from marketloop.content.offline import BriefContext
from marketloop.errors import ConfigError
from marketloop.keywords.model import Cluster


def make_plan(settings: Settings, refs: Sequence[str] = (), *, drafts: bool, force: bool) -> Plan:
    """The plan for the provider in force; `refs` (`brief@v1`, `draft@v2`) override prompts."""
    provider = settings.llm.resolved_provider()
    if drafts and provider == "offline":
        raise ConfigError(
            "drafts need an LLM",
            hint="pass --provider openai and set MARKETLOOP_LLM_API_KEY "
            "(or MARKETLOOP_LLM_BASE_URL for a local server)",
        )
    if provider == "offline":
        return Plan(force=force)
    chosen = {"brief": settings.content.brief_prompt, "draft": settings.content.draft_prompt}
    for ref in [r.strip() for item in refs for r in item.split(",") if r.strip()]:
        chosen[prompt_kind(ref)] = ref
    directory = settings.content.prompts_dir
    return Plan(
        model=settings.llm.model,
        brief_prompt=load_prompt(chosen["brief"], directory),
        draft_prompt=load_prompt(chosen["draft"], directory) if drafts else None,
        force=force,
    )


@dataclass
class GenerateRun:
    run_id: str
    outcomes: list[Outcome]
    ledger: Ledger
    entries: list[dict[str, Any]]


def generate_briefs(
    settings: Settings,
    clusters: Sequence[Cluster],
    context: BriefContext,
    plan: Plan,
    folder: BriefFolder,
    *,
    crawl: str | None = None,
    on_done: Callable[[Outcome], None] = lambda _: None,
) -> GenerateRun:
    """Run the generator; the index is written even when the run stops on an error."""
    run_id = new_run_id("gen")
    session = LlmSession(settings, run_id) if plan.provider == "openai" else None
    ledger = session.ledger if session else Ledger(settings.llm, run_id)
    known = {p.url for p in context.pages} or None
    client = session.client if session else None
    workers = 2 * settings.llm.concurrency
    generator = Generator(folder, context, plan, settings.content, client, known, workers)
    outcomes: list[Outcome] = []

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if session is not None:
            session.checkpoint()
        on_done(outcome)

    async def go() -> None:
        if session is None:
            await generator.run(clusters, done)
            return
        async with session:
            await generator.run(clusters, done)

    run = {
        "run_id": run_id,
        "provider": plan.provider,
        "model": plan.model,
        "prompts": [p.ref for p in (plan.brief_prompt, plan.draft_prompt) if p],
        "crawl": crawl,
    }
    try:
        asyncio.run(go())
    finally:
        entries = [{**o.entry(), **_costs(ledger, o.slug)} for o in outcomes]
        folder.write_index(run, entries)
    return GenerateRun(run_id, outcomes, ledger, entries)


def _costs(ledger: Ledger, slug: str) -> dict[str, Any]:
    totals = ledger.totals([r for r in ledger.records if r.label == slug])
    return {
        "tokens": totals["prompt_tokens"] + totals["completion_tokens"],
        "cost_usd": totals["cost_usd"],
        "cache_hits": totals["cache_hits"],
    }
