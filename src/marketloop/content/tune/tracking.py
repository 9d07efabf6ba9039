"""Weights & Biases tracking (the `tune` extra): one W&B run per eval candidate (prompt
variant × model) or per fine-tuning job, with the same metric names as the MLflow export
(`pass_rate`, `cases`, `latency_ms`, `tokens`, `cost_usd`, `assert_<name>`, `judge`; training:
`train_loss`, `valid_loss` by `step`) and the eval results as a W&B Table.

Without `WANDB_API_KEY` (and no `WANDB_MODE` set) runs are written offline into
WORKSPACE/wandb, to be uploaded later with `wandb sync`: nothing is sent without credentials.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from marketloop.content.evals.compare import Summary
from marketloop.content.tune.extra import require_wandb

TABLE_COLUMNS = [
    "case_id",
    "variant",
    "model",
    "passed",
    "score",
    "latency_ms",
    "cost_usd",
    "error",
]


def summary_metrics(s: Summary) -> dict[str, float]:
    """The metrics of one candidate, named as in the MLflow export."""
    return {
        "pass_rate": s.pass_rate,
        "cases": s.cases,
        "latency_ms": s.latency_ms,
        "tokens": s.prompt_tokens + s.completion_tokens,
        "cost_usd": s.cost_usd,
        **{f"assert_{k}": v for k, v in s.assertions.items() if v is not None},
        **({"judge": s.judge} if s.judge is not None else {}),
    }


def mode() -> str:
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    return "online" if os.environ.get("WANDB_API_KEY") else "offline"


@contextmanager
def wandb_run(
    project: str, name: str, config: dict[str, Any], folder: Path, job_type: str
) -> Iterator[Any]:
    wandb = require_wandb()
    folder.mkdir(parents=True, exist_ok=True)
    settings = wandb.Settings(silent=True, console="off", x_disable_stats=True)
    run = wandb.init(
        project=project, name=name, config=config, dir=str(folder), mode=mode(),
        job_type=job_type, settings=settings, reinit="create_new",
    )  # fmt: skip
    try:
        yield run
    finally:
        run.finish()


def log_eval(
    project: str, suite: str, summaries: list[Summary], results: list[dict[str, Any]], folder: Path
) -> list[str]:
    """One run per candidate: its metrics and its rows of the eval table."""
    wandb = require_wandb()
    ids = []
    for s in summaries:
        config = {"suite": suite, "eval_run": s.run_id, "variant": s.variant, "model": s.model}
        with wandb_run(project, s.key, config, folder, "eval") as run:
            run.log(summary_metrics(s))
            rows = [
                [r.get(c) for c in TABLE_COLUMNS]
                for r in results
                if r["run_id"] == s.run_id and r["variant"] == s.variant and r["model"] == s.model
            ]
            run.log({"eval_table": wandb.Table(columns=TABLE_COLUMNS, data=rows)})
            ids.append(run.id)
    return ids


def log_training(
    project: str, name: str, config: dict[str, Any], points: list[dict[str, Any]], folder: Path
) -> str:
    """One run for a fine-tuning job: its configuration and its curves, by step."""
    with wandb_run(project, name, config, folder, "fine-tune") as run:
        for point in points:
            metrics = {k: v for k, v in point.items() if k in ("train_loss", "valid_loss")}
            run.log(metrics, step=int(point.get("step", 0)))
        run_id: str = run.id
    return run_id
