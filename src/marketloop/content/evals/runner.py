"""Run a suite: every case × prompt variant × model, asserted (and judged), stored as it
finishes. A variant is a brief prompt and a draft prompt (`brief@v2+draft@v1`); `offline`
is the data-only brief.

    runner = EvalRunner(loaded, settings, session, pages)
    results = await runner.run(variants, models, on_result)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from marketloop.config import Settings
from marketloop.content.brief import Brief
from marketloop.content.errors import EvalError
from marketloop.content.evals.assertions import Output, Result, evaluate
from marketloop.content.evals.judge import judge, judge_request, mean_score
from marketloop.content.evals.suite import LoadedSuite, ResolvedCase
from marketloop.content.generate import PER_BRIEF_ERRORS
from marketloop.content.llm.ledger import Ledger
from marketloop.content.llm.prompts import Prompt, load_prompt, prompt_kind
from marketloop.content.llm.session import LlmSession
from marketloop.content.offline import BriefContext, write_brief
from marketloop.content.site import SitePage
from marketloop.content.writer import write_draft, write_llm_brief
from marketloop.errors import MarketloopError


@dataclass(frozen=True)
class Variant:
    brief_prompt: Prompt | None = None
    draft_prompt: Prompt | None = None

    @property
    def refs(self) -> dict[str, str]:
        pairs = (("brief", self.brief_prompt), ("draft", self.draft_prompt))
        return {kind: prompt.ref for kind, prompt in pairs if prompt is not None}

    @property
    def label(self) -> str:
        return "+".join(self.refs.values()) or "offline"


def parse_variants(spec: str | None, settings: Settings, *, drafts: bool = True) -> list[Variant]:
    """`--prompts a@v1,b@v2`: one variant per item; `brief@v1+draft@v2` sets both prompts.
    Prompts an item leaves out are the settings' defaults."""
    if settings.llm.resolved_provider() == "offline":
        return [Variant()]
    content, folder = settings.content, settings.content.prompts_dir
    items = [i.strip() for i in (spec or "").split(",") if i.strip()] or [""]
    variants = []
    for item in items:
        chosen = {"brief": content.brief_prompt, "draft": content.draft_prompt if drafts else None}
        for ref in [r for r in item.split("+") if r]:
            chosen[prompt_kind(ref)] = ref
        variants.append(
            Variant(
                load_prompt(str(chosen["brief"]), folder),
                load_prompt(chosen["draft"], folder) if chosen["draft"] else None,
            )
        )
    return variants


@dataclass
class CaseRun:
    case: ResolvedCase
    variant: Variant
    model: str
    output: Output
    results: list[Result]
    judge: list[dict[str, Any]] | None = None
    min_score: float | None = None

    @property
    def passed(self) -> bool:
        judged = mean_score(self.judge)
        judge_ok = self.min_score is None or (judged is not None and judged >= self.min_score)
        return judge_ok and all(r.passed is not False for r in self.results)

    @property
    def label(self) -> str:
        return f"{self.case.id}|{self.variant.label}|{self.model}"

    def row(self, ledger: Ledger | None) -> dict[str, Any]:
        """The stored result: assertions, judge, prompts, and this case's share of the ledger."""
        records = [r for r in ledger.records if r.label == self.label] if ledger else []
        totals = ledger.totals(records) if ledger else {}
        applicable = [r for r in self.results if r.passed is not None]
        out = self.output
        return {
            "case_id": self.case.id,
            "variant": self.variant.label,
            "model": self.model,
            "passed": self.passed,
            "score": sum(bool(r.passed) for r in applicable) / len(applicable) if applicable else 0,
            "assertions": [r.as_dict() for r in self.results],
            "judge": self.judge,
            "prompt_versions": {
                k: p.ref
                for k, p in (
                    ("brief", self.variant.brief_prompt),
                    ("draft", self.variant.draft_prompt),
                )
                if p
            },
            "latency_ms": totals.get("latency_ms", 0.0),
            "prompt_tokens": totals.get("prompt_tokens", 0),
            "completion_tokens": totals.get("completion_tokens", 0),
            "cost_usd": totals.get("cost_usd", 0.0),
            "error": out.error,
            "output": {
                "brief": out.brief.model_dump(mode="json") if out.brief else None,
                "draft": out.draft,
            },
        }


class EvalRunner:
    def __init__(
        self,
        loaded: LoadedSuite,
        settings: Settings,
        session: LlmSession | None,
        pages: Sequence[SitePage] = (),
    ) -> None:
        self.loaded = loaded
        self.settings = settings
        self.session = session
        self.known_urls = {p.url for p in pages} or None
        self.context = BriefContext(
            clusters=[c.cluster for c in loaded.cases],
            pages=pages,
            max_internal_links=settings.content.max_internal_links,
            max_link_from=settings.content.max_link_from,
        )

    async def run(
        self,
        variants: Sequence[Variant],
        models: Sequence[str],
        on_result: Callable[[CaseRun], None] = lambda _: None,
    ) -> list[CaseRun]:
        done: list[CaseRun] = []
        jobs = iter([(c, v, m) for v in variants for m in models for c in self.loaded.cases])

        async def worker() -> None:
            for case, variant, model in jobs:  # one shared iterator: each job is taken once
                result = await self.one(case, variant, model)
                done.append(result)
                on_result(result)

        workers = 2 * self.settings.llm.concurrency  # requests ready when a slot frees
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(workers):
                    group.create_task(worker())
        except* MarketloopError as failure:
            raise failure.exceptions[0] from None
        return done

    async def one(self, case: ResolvedCase, variant: Variant, model: str) -> CaseRun:
        label = f"{case.id}|{variant.label}|{model}"
        offline = write_brief(case.cluster, self.context, slug=case.id)
        brief: Brief | None = offline
        draft: str | None = None
        error: str | None = None
        scores: list[dict[str, Any]] | None = None
        try:
            if variant.brief_prompt is not None:
                brief = None  # until the model's brief is valid
                brief = await write_llm_brief(
                    self._client(), offline, case.cluster, variant.brief_prompt, model, label
                )
            if variant.draft_prompt is not None and brief is not None:
                draft = await write_draft(
                    self._client(), brief, variant.draft_prompt, self.settings.content, model, label
                )
            if case.judge is not None and brief is not None and draft is not None:
                scores = await self._judge(brief, draft, case, model, label)
        except PER_BRIEF_ERRORS as exc:
            error = str(exc)
        output = Output(
            brief=brief,
            draft=draft,
            error=error,
            terms=case.terms,
            known_urls=self.known_urls,
            banned=self.settings.content.banned_phrases,
            claim_window=self.settings.content.claim_window,
        )
        results = evaluate(output, case.assertions)
        min_score = case.judge.min_score if case.judge else None
        return CaseRun(case, variant, model, output, results, scores, min_score)

    async def _judge(
        self, brief: Brief, draft: str, case: ResolvedCase, model: str, label: str
    ) -> list[dict[str, Any]]:
        assert case.judge is not None
        prompt = load_prompt(
            case.judge.prompt or self.settings.content.judge_prompt,
            self.settings.content.prompts_dir,
        )
        request = judge_request(
            brief, draft, case.judge, prompt, self.settings.llm, model=model, label=label
        )
        return await judge(self._client(), request, case.judge)

    def _client(self) -> Any:
        if self.session is None:
            raise EvalError("this variant needs an LLM", hint="pass --provider openai")
        return self.session.client
