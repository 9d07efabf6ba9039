"""Briefs (and drafts) for many clusters at once, resumable.

For each cluster: keep the brief (and draft) a previous run left if valid and made the way this
run would make it (provider, model, prompt version); otherwise write the offline brief, let the
LLM rewrite its prose (provider `openai`), write the draft and check it with the guardrails. An
offline run keeps a brief an LLM wrote (it would only be worse) and says so, `--force` replaces
it. Every file lands atomically as soon as it is ready, so a kill or an error
keeps what was done and the next run continues from there.

Errors that concern one cluster (an invalid answer, a refusal, an endpoint that stayed
unavailable) mark that brief failed and the run goes on; errors that concern every cluster
(a rejected key, no quota, an unknown model) stop the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from marketloop.content.brief import Brief
from marketloop.content.config import ContentSettings
from marketloop.content.coverage import plan_for
from marketloop.content.errors import InvalidOutput, LlmUnavailable, Refusal
from marketloop.content.folder import BriefFolder
from marketloop.content.guardrails import Check, check_draft
from marketloop.content.llm.client import LlmClient
from marketloop.content.llm.prompts import Prompt
from marketloop.content.offline import BriefContext, write_brief
from marketloop.content.text import slugify
from marketloop.content.writer import write_draft, write_llm_brief
from marketloop.errors import MarketloopError
from marketloop.keywords.model import Cluster

PER_BRIEF_ERRORS = (InvalidOutput, Refusal, LlmUnavailable)


@dataclass(frozen=True)
class Plan:
    """What to write: the provider's prompts (None: offline brief / no draft) and the model."""

    model: str | None = None
    brief_prompt: Prompt | None = None
    draft_prompt: Prompt | None = None
    force: bool = False

    @property
    def provider(self) -> str:
        return "openai" if self.brief_prompt or self.draft_prompt else "offline"

    @property
    def maker(self) -> tuple[str, str | None, str | None]:
        """(provider, model, prompt version) of the briefs this run writes."""
        if self.brief_prompt is None:
            return ("offline", None, None)
        return ("openai", self.model, self.brief_prompt.ref)


def made_by(brief: Brief) -> tuple[str, str | None, str | None]:
    return (brief.provider, brief.model, brief.prompt_version)


def describe(maker: tuple[str, str | None, str | None]) -> str:
    """('openai', 'gpt-4o-mini', 'brief@v2') -> 'openai gpt-4o-mini brief@v2'."""
    return " ".join(part for part in maker if part)


@dataclass
class Outcome:
    slug: str
    cluster: str
    status: str  # kept | written | failed
    brief: Brief | None = None
    draft: bool = False
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    note: str | None = None  # why a brief was kept or replaced

    def entry(self) -> dict[str, Any]:
        """This brief's line in the folder's index."""
        b = self.brief
        return {
            "slug": self.slug,
            "cluster": self.cluster,
            "status": self.status,
            "action": b.action if b else None,
            "target_url": b.target_url if b else None,
            "h1": b.h1 if b else None,
            "words": f"{b.word_count_min}–{b.word_count_max}" if b else None,
            "internal_links": len(b.internal_links) if b else 0,
            "link_from": len(b.link_from) if b else 0,
            "provider": self.brief.provider if self.brief else None,
            "model": self.brief.model if self.brief else None,
            "prompt_version": self.brief.prompt_version if self.brief else None,
            "draft_prompt_version": self.brief.draft_prompt_version if self.brief else None,
            "brief": f"{self.slug}.json" if self.brief else None,
            "draft": f"{self.slug}.md" if self.draft else None,
            "checks_failed": [c.name for c in self.checks if not c.passed],
            "checks_passed": sum(c.passed for c in self.checks),
            "error": self.error,
            "note": self.note,
        }


def assign_slugs(clusters: Sequence[Cluster]) -> list[str]:
    """A slug per cluster, unique in the run (`crm-software`, `crm-software-2`, ...)."""
    seen: dict[str, int] = {}
    slugs = []
    for cluster in clusters:
        base = slugify(cluster.cluster)
        seen[base] = seen.get(base, 0) + 1
        slugs.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return slugs


@dataclass
class Generator:
    folder: BriefFolder
    context: BriefContext
    plan: Plan
    content: ContentSettings
    client: LlmClient | None = None
    known_urls: set[str] | None = None
    workers: int = 8

    async def run(
        self, clusters: Sequence[Cluster], on_done: Callable[[Outcome], None] = lambda _: None
    ) -> list[Outcome]:
        """Every cluster's outcome, in the order they finish; stops on run-wide errors.

        `workers` coroutines take the next cluster as they free up. Twice as many workers as
        the client lets calls fly: while `concurrency` calls are out, the other workers have
        their next request ready, so a freed slot is used at once and the offline work and
        file writes stay off the critical path.
        """
        outcomes: list[Outcome] = []
        pending = iter(zip(assign_slugs(clusters), clusters, strict=True))

        async def worker() -> None:
            for slug, cluster in pending:  # one shared iterator: each item is taken once
                outcome = await self.one(slug, cluster)
                outcomes.append(outcome)
                on_done(outcome)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, min(self.workers, len(clusters)))):
                    group.create_task(worker())
        except* MarketloopError as failure:
            raise failure.exceptions[0] from None
        return outcomes

    async def one(self, slug: str, cluster: Cluster) -> Outcome:
        wants_draft = self.plan.draft_prompt is not None
        kept, note = self._reusable_brief(slug, cluster)
        if kept is not None and (not wants_draft or self._current_draft(kept)):
            drafted = self.folder.has_draft(slug)
            checks = self.folder.read_checks(slug) if drafted else []
            return Outcome(slug, cluster.cluster, "kept", kept, drafted, checks, note=note)
        outcome = Outcome(slug, cluster.cluster, "written", kept, note=note)
        try:
            if outcome.brief is None:
                outcome.brief = await self._brief(slug, cluster)
                self.folder.drop_draft(slug)  # it was written from the brief just replaced
                self.folder.write_brief(outcome.brief)
            if wants_draft:
                outcome.checks = await self._draft(outcome.brief)
                outcome.draft = True
                outcome.brief = self._record_draft_prompt(outcome.brief)
        except PER_BRIEF_ERRORS as exc:
            outcome.status, outcome.error = "failed", str(exc)
            if isinstance(exc, InvalidOutput):
                purpose = "draft" if outcome.brief else "brief"
                path = self.folder.keep_failed(slug, purpose, exc.raw, exc.errors)
                outcome.error += f" (answer kept in {path})"
        return outcome

    def _reusable_brief(self, slug: str, cluster: Cluster) -> tuple[Brief | None, str | None]:
        """The brief a previous run left, when this run would make it the same way, and a note
        when a brief made another way was found (kept by an offline run, else replaced).

        A brief whose action no longer fits the cluster's coverage (a gap that now has a page,
        a page that now splits with another) is replaced whoever wrote it."""
        found = None if self.plan.force else self.folder.existing_brief(slug)
        plan = plan_for(cluster)
        if found is not None and (found.action, found.target_url) != (plan.action, plan.target_url):
            target = f" of {plan.target_url}" if plan.target_url else ""
            return None, f"replaced: the cluster now needs {plan.action}{target}"
        if found is None or made_by(found) == self.plan.maker:
            return found, None
        was = describe(made_by(found))
        if self.plan.provider == "offline" and found.provider != "offline":
            return found, f"kept the brief by {was}; --force replaces it with an offline brief"
        return None, f"replaced the brief by {was}"

    def _current_draft(self, brief: Brief) -> bool:
        """Whether the folder holds a draft of `brief` written with this run's draft prompt."""
        assert self.plan.draft_prompt is not None
        current = brief.draft_prompt_version == self.plan.draft_prompt.ref
        return current and self.folder.has_draft(brief.slug)

    async def _brief(self, slug: str, cluster: Cluster) -> Brief:
        brief = write_brief(cluster, self.context, slug=slug)
        if self.plan.brief_prompt is None:
            return brief
        assert self.client is not None, "an LLM brief needs a client"
        return await write_llm_brief(
            self.client, brief, cluster, self.plan.brief_prompt, self.plan.model
        )

    def _record_draft_prompt(self, brief: Brief) -> Brief:
        assert self.plan.draft_prompt is not None
        update = {"draft_prompt_version": self.plan.draft_prompt.ref}
        drafted = brief.model_copy(update=update)
        self.folder.write_brief(drafted)
        return drafted

    async def _draft(self, brief: Brief) -> list[Check]:
        assert self.client is not None and self.plan.draft_prompt is not None
        markdown = await write_draft(
            self.client, brief, self.plan.draft_prompt, self.content, self.plan.model
        )
        checks = check_draft(
            markdown,
            brief,
            banned=self.content.banned_phrases,
            known_urls=self.known_urls,
            claim_window=self.content.claim_window,
        )
        self.folder.write_draft(brief.slug, markdown, checks)
        return checks
