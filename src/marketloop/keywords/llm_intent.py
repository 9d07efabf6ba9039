"""Search intent from an LLM: the `IntentClassifier` behind `--intent llm` (`[keywords] intent`),
built on the content stage's LLM layer (cache, ledger, retries, concurrency limit).

- Keywords go in batches of `intent_batch_size` (50), sorted, so a reordered file hits the
  cache; each keyword with its top `intent_serp_urls` (3) result URLs as hints. Batches run
  concurrently, at most `[llm] concurrency` calls in flight.
- The prompt is a versioned template, `keywords/prompts/intent/v1.jinja` (`intent_prompt`); a
  file of the same name in `[content] prompts_dir` is used instead (`intent_request.py`).
- The answer is a strict JSON schema: a list of {keyword, intent, confidence} as long as the
  batch, whose `keyword` must be one of the batch. Invalid JSON or schema: one re-ask.
- Every keyword must come back exactly once (`reconcile`). A keyword the answer misses, or gives
  twice with different intents, gets the rules' label, marked `fallback`; a keyword the batch
  does not hold is ignored. A batch whose answer stays invalid, is refused or never arrives
  falls back to the rules as a whole; errors that concern every batch (a rejected key, no
  quota, an unknown model) stop the run.
- A sure label stands; an unsure one is combined with the rules (`combine`).

    classifier = LlmIntentClassifier(settings)       # ConfigError when [llm] is not set up
    guesses = classifier.classify(keywords, serps)
    classifier.notes()                                # calls, cache hits, cost, fallbacks
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from marketloop.config import Settings
from marketloop.content.errors import InvalidOutput, LlmUnavailable, Refusal
from marketloop.content.llm.client import LlmClient
from marketloop.content.llm.ledger import Ledger
from marketloop.content.llm.session import LlmSession, new_run_id
from marketloop.content.llm.structured import ask_structured
from marketloop.errors import MarketloopError
from marketloop.keywords.intent import NO_EVIDENCE, IntentGuess, RuleClassifier
from marketloop.keywords.intent_request import (
    Batch,
    IntentAnswer,
    intent_batches,
    intent_prompt,
    reconcile,
    require_llm,
)
from marketloop.keywords.reader import normalise

PER_BATCH_ERRORS = (InvalidOutput, Refusal, LlmUnavailable)
SHOWN = 5  # failed batches listed one by one in the notes; the rest are counted


@dataclass
class IntentReport:
    """What a run of the classifier did, for the command's notes."""

    model: str
    prompt: str
    keywords: int = 0
    batches: int = 0
    unsure: int = 0  # labels combined with the rules
    missing: int = 0  # keywords the answers missed (or contradicted): the rules' label
    unknown: int = 0  # labels for keywords no batch held: ignored
    failed: list[str] = field(default_factory=list)  # batches that fell back to the rules
    ledger: Ledger | None = None

    def notes(self) -> list[str]:
        if not self.batches:
            return []
        totals = self.ledger.totals() if self.ledger else {}
        tokens = totals.get("prompt_tokens", 0) + totals.get("completion_tokens", 0)
        unpriced = " (unpriced)" if self.ledger and self.ledger.unpriced else ""
        notes = [
            f"intent: {self.model} ({self.prompt}) labelled {self.keywords} keyword(s) in "
            f"{self.batches} batch(es): {totals.get('calls', 0)} call(s), "
            f"{totals.get('cache_hits', 0)} from the cache, {tokens:,} tokens, "
            f"${totals.get('cost_usd', 0.0):.4f}{unpriced}"
        ]
        if self.unsure:
            notes.append(f"intent: {self.unsure} unsure label(s) combined with the rules")
        if self.missing:
            notes.append(
                f"intent: {self.missing} keyword(s) missing from the model's answers "
                "got the rules' label (intent_source fallback)"
            )
        if self.unknown:
            notes.append(f"intent: ignored {self.unknown} label(s) for keywords not asked about")
        notes += [f"intent: the rules' labels used instead: {f}" for f in self.failed[:SHOWN]]
        if len(self.failed) > SHOWN:
            notes.append(f"intent: … and {len(self.failed) - SHOWN} more batch(es) like these")
        return notes


def combine(model: IntentGuess, rules: IntentGuess, sure: float) -> IntentGuess:
    """The model's label when it is sure (confidence ≥ `sure`) or the rules found nothing;
    otherwise a confidence-weighted vote of the model and the rules:

    - they agree: that intent, with the higher of the two confidences;
    - they disagree: the more confident one wins (the model on a tie), its confidence scaled by
      its share of the two (model 0.5 vs rules 0.3: the model's intent, 0.5 × 0.5/0.8 = 0.31).
    """
    if model.confidence >= sure or rules is NO_EVIDENCE:
        return IntentGuess(model.intent, model.confidence, "llm")
    if model.intent == rules.intent:
        return IntentGuess(model.intent, max(model.confidence, rules.confidence), "llm+rules")
    winner = model if model.confidence >= rules.confidence else rules
    share = winner.confidence / (model.confidence + rules.confidence)
    return IntentGuess(winner.intent, round(winner.confidence * share, 3), "llm+rules")


class LlmIntentClassifier:
    """Labels keywords with a model; see the module docstring for batches and fallbacks."""

    def __init__(self, settings: Settings, *, run_id: str | None = None) -> None:
        require_llm(settings)
        self.settings = settings
        self.rules = RuleClassifier(settings.keywords.brand_terms)
        self.run_id = run_id or new_run_id("intent")
        prompt = intent_prompt(settings.keywords.intent_prompt, settings.content.prompts_dir)
        model = settings.keywords.intent_model or settings.llm.model
        self.report = IntentReport(model, prompt.ref)

    def notes(self) -> list[str]:
        return self.report.notes()

    def classify(
        self, keywords: Sequence[str], serps: dict[str, list[str]] | None = None
    ) -> list[IntentGuess]:
        return asyncio.run(self.aclassify(keywords, serps))

    async def aclassify(
        self, keywords: Sequence[str], serps: dict[str, list[str]] | None = None
    ) -> list[IntentGuess]:
        self.report = IntentReport(self.report.model, self.report.prompt)
        batches = intent_batches(self.settings, keywords, serps)
        labels: dict[str, IntentGuess] = {}
        if batches:
            labels = await self._ask(batches)
        self.report.keywords = sum(len(b.keywords) for b in batches)
        self.report.batches = len(batches)
        rules = self.rules.classify(keywords, serps)
        sure = self.settings.keywords.intent_min_confidence
        guesses = []
        for keyword, by_rules in zip(keywords, rules, strict=True):
            label = labels.get(normalise(keyword))
            if label is None:
                guesses.append(
                    IntentGuess(by_rules.intent, by_rules.confidence, "fallback", by_rules.evidence)
                )
                continue
            guesses.append(combine(label, by_rules, sure))
            self.report.unsure += guesses[-1].source == "llm+rules"
        return guesses

    async def _ask(self, batches: list[Batch]) -> dict[str, IntentGuess]:
        labels: dict[str, IntentGuess] = {}
        async with LlmSession(self.settings, self.run_id) as session:
            self.report.ledger = session.ledger

            async def one(batch: Batch) -> None:
                labels.update(await self._batch(session.client, batch))
                session.checkpoint()

            try:
                async with asyncio.TaskGroup() as group:
                    for batch in batches:
                        group.create_task(one(batch))
            except* MarketloopError as failure:
                raise failure.exceptions[0] from None
        return labels

    async def _batch(self, client: LlmClient, batch: Batch) -> dict[str, IntentGuess]:
        try:
            answer = await ask_structured(client, batch.request, IntentAnswer)
        except PER_BATCH_ERRORS as exc:
            self.report.failed.append(exc.message)
            return {}
        found, unknown = reconcile(batch.keywords, answer)
        self.report.missing += len(batch.keywords) - len(found)
        self.report.unknown += unknown
        return found
