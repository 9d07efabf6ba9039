"""Export eval summaries to MLflow (the `mlflow` extra): one MLflow run per prompt variant ×
model, with its pass rates, judge score, latency, tokens and cost as metrics.

`eval run --mlflow` calls `require_mlflow` before the (paid) eval starts, so a missing extra is
reported before any model is called, not after.
"""

from __future__ import annotations

from typing import Any

from marketloop.content.evals.compare import Summary
from marketloop.errors import ContentError


def require_mlflow() -> Any:
    """The `mlflow` module, or a ContentError naming the extra to install."""
    try:
        import mlflow
    except ImportError:
        raise ContentError(
            "exporting to MLflow needs the mlflow extra",
            hint="pip install 'marketloop[mlflow]'",
        ) from None
    return mlflow


def export(uri: str, suite: str, summaries: list[Summary]) -> list[str]:
    """Log each summary as an MLflow run under the experiment `marketloop-eval-<suite>`."""
    mlflow = require_mlflow()
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(f"marketloop-eval-{suite}")
    ids = []
    for s in summaries:
        with mlflow.start_run(run_name=s.key) as run:
            mlflow.log_params({"eval_run": s.run_id, "variant": s.variant, "model": s.model})
            metrics = {
                "pass_rate": s.pass_rate,
                "cases": s.cases,
                "latency_ms": s.latency_ms,
                "tokens": s.prompt_tokens + s.completion_tokens,
                "cost_usd": s.cost_usd,
                **{f"assert_{k}": v for k, v in s.assertions.items() if v is not None},
                **({"judge": s.judge} if s.judge is not None else {}),
            }
            mlflow.log_metrics(metrics)
            ids.append(run.info.run_id)
    return ids
