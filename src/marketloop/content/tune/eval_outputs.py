"""The second source of a training set: drafts that eval runs wrote and that passed their
suite (`content_eval_results.passed`: every applicable assertion, and the judge's minimum
score when the case has one). Each becomes an `Approved` whose provenance names the run, the
case, the prompt variant and the model; its eval score is the share of assertions passed and
its time the run's start.

    found, skipped = passed_outputs(engine, runs=["ev-…"], since=None)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select

from marketloop.content.brief import Brief
from marketloop.content.errors import EvalError
from marketloop.content.tables import EvalResult, EvalRun
from marketloop.content.tune.dataset import Approved
from marketloop.content.tune.reviews import as_utc


def passed_outputs(
    engine: Engine, *, runs: Sequence[str] = (), since: datetime | None = None
) -> tuple[list[Approved], list[dict[str, Any]]]:
    """Passing drafts of `runs` (default: every run) started on or after `since`, and why every
    other result was left out."""
    query = select(EvalResult.__table__, EvalRun.created_at.label("started")).join(
        EvalRun, EvalResult.run_id == EvalRun.id
    )
    if runs:
        _check_runs(engine, runs)
        query = query.where(EvalRun.id.in_(runs))
    found: list[Approved] = []
    skipped: list[dict[str, Any]] = []
    with engine.connect() as connection:
        for result in connection.execute(query.order_by(EvalResult.id)):
            started = as_utc(result.started)
            if since is not None and started < since:
                continue
            source = {
                "kind": "eval",
                "run": result.run_id,
                "case": result.case_id,
                "variant": result.variant,
                "model": result.model,
            }
            reason, item = _one(result, started, source)
            if item is not None:
                found.append(item)
            else:
                skipped.append({"slug": result.case_id, "reason": reason, "source": source})
    return found, skipped


def _one(result: Any, started: datetime, source: dict[str, str]) -> tuple[str, Approved | None]:
    output = result.output or {}
    if result.error:
        return f"error: {result.error}", None
    if not result.passed:
        return f"failed its eval (score {result.score:.2f})", None
    if not output.get("draft"):
        return "no draft", None
    try:
        brief = Brief.model_validate(output.get("brief"))
    except ValidationError:
        return "not a valid brief", None
    return "", Approved(brief, output["draft"], result.score, started, source=source)


def _check_runs(engine: Engine, runs: Sequence[str]) -> None:
    with engine.connect() as connection:
        known = set(connection.execute(select(EvalRun.id).where(EvalRun.id.in_(runs))).scalars())
    missing = sorted(set(runs) - known)
    if missing:
        raise EvalError(
            f"no eval run {', '.join(missing)}", hint="`marketloop eval compare` lists runs"
        )
