"""The token and cost ledger: one record per LLM call or cache hit, priced from `[llm.prices]`
(see `content/config.py`), summed per model, and persisted in the app database
(`content_llm_calls`).

A cache hit costs nothing and is recorded with the tokens the original answer used, so the
summary shows what the cache saved.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from marketloop.content.config import LlmSettings
from marketloop.content.tables import LlmCall
from marketloop.observe.metrics import record_llm_call


@dataclass(frozen=True)
class CallRecord:
    run_id: str
    purpose: str
    label: str
    model: str
    prompt_version: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: float
    cache_hit: bool
    retries: int
    status: str
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Ledger:
    settings: LlmSettings
    run_id: str
    records: list[CallRecord] = field(default_factory=list)
    unpriced: set[str] = field(default_factory=set)
    _saved: int = 0

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.settings.price_of(model)
        if price is None:
            self.unpriced.add(model)
            return 0.0
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000

    def record(self, **values: Any) -> CallRecord:
        cached = values.get("cache_hit", False)
        cost = (
            0.0
            if cached
            else self.cost(values["model"], values["prompt_tokens"], values["completion_tokens"])
        )
        entry = CallRecord(run_id=self.run_id, cost_usd=cost, **values)
        self.records.append(entry)
        if not cached:
            record_llm_call(entry.model, entry.prompt_tokens, entry.completion_tokens, cost)
        return entry

    def totals(self, records: list[CallRecord] | None = None) -> dict[str, Any]:
        rows = self.records if records is None else records
        paid = [r for r in rows if not r.cache_hit]
        return {
            "calls": len(paid),
            "cache_hits": len(rows) - len(paid),
            "prompt_tokens": sum(r.prompt_tokens for r in paid),
            "completion_tokens": sum(r.completion_tokens for r in paid),
            "cost_usd": round(sum(r.cost_usd for r in paid), 6),
            "latency_ms": round(sum(r.latency_ms for r in paid), 1),
        }

    def summary(self) -> list[dict[str, Any]]:
        """One row per model: calls, cache hits, tokens, cost (unpriced models flagged)."""
        by_model: dict[str, list[CallRecord]] = defaultdict(list)
        for record in self.records:
            by_model[record.model].append(record)
        return [
            {"model": model, **self.totals(rows), "priced": model not in self.unpriced}
            for model, rows in sorted(by_model.items())
        ]

    @property
    def unsaved(self) -> int:
        return len(self.records) - self._saved

    def persist(self, engine: Engine) -> int:
        """Insert the records not saved yet; returns how many were written."""
        fresh = self.records[self._saved :]
        if fresh:
            with engine.begin() as connection:
                connection.execute(insert(LlmCall), [asdict(r) for r in fresh])
            self._saved += len(fresh)
        return len(fresh)


def stored_totals(
    engine: Engine, run_id: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """What the app database holds, per model (optionally for one run, or from `since` on).

    Like `Ledger.totals`, tokens and cost count only the calls sent to the model; the tokens of
    the cache hits are in `tokens_saved` (what the cache spared).
    """
    paid, cached = LlmCall.cache_hit.is_(False), LlmCall.cache_hit.is_(True)
    tokens = LlmCall.prompt_tokens + LlmCall.completion_tokens
    query = select(
        LlmCall.model,
        func.count().filter(paid).label("calls"),
        func.count().filter(cached).label("cache_hits"),
        func.coalesce(func.sum(LlmCall.prompt_tokens).filter(paid), 0).label("prompt_tokens"),
        func.coalesce(func.sum(LlmCall.completion_tokens).filter(paid), 0).label(
            "completion_tokens"
        ),
        func.coalesce(func.sum(LlmCall.cost_usd).filter(paid), 0.0).label("cost_usd"),
        func.coalesce(func.sum(tokens).filter(cached), 0).label("tokens_saved"),
    ).group_by(LlmCall.model)
    if run_id is not None:
        query = query.where(LlmCall.run_id == run_id)
    if since is not None:
        query = query.where(LlmCall.at >= since)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query.order_by(LlmCall.model))]
