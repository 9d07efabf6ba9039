"""`tune start` for both providers, recorded in `content_tune_jobs` (the library side of
`jobs_cli.py`): hosted jobs are created, followed and their model id recorded; local jobs train
an adapter in WORKSPACE/tune/<job>/ (or --out). Both can log their curves to W&B."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from marketloop.config import Settings
from marketloop.content.tune import jobs
from marketloop.content.tune.build import TRAIN
from marketloop.content.tune.hosted import FINAL, Event, HostedTuner, curves
from marketloop.content.tune.local import LocalConfig, train_lora
from marketloop.content.tune.tracking import log_training
from marketloop.errors import ContentError
from marketloop.workspace import Workspace

Say = Callable[[str], None]


def check_dataset(dataset: Path) -> None:
    if not (dataset / TRAIN).is_file():
        raise ContentError(
            f"{dataset} holds no {TRAIN}",
            hint="build one with `marketloop tune dataset --out DIR` and pass --dataset DIR",
        )


def start_hosted(
    settings: Settings,
    engine: Engine,
    dataset: Path,
    base_model: str,
    hyper: dict[str, Any],
    *,
    suffix: str | None,
    follow: bool,
    poll: float,
    say: Say,
    wandb: str | None = None,
) -> dict[str, Any]:
    check_dataset(dataset)
    job_id = jobs.create(
        engine, provider="openai", base_model=base_model, dataset=str(dataset),
        status="uploading", hyperparameters=hyper,
    )  # fmt: skip
    try:
        with HostedTuner(settings.llm) as tuner:
            job = tuner.start(dataset, base_model, hyper, suffix)
    except ContentError as exc:
        jobs.change(engine, job_id, status="failed", error=str(exc))
        raise
    jobs.change(engine, job_id, external_id=job["id"], status=job["status"])
    say(f"job {job_id}: {job['id']} at the provider, {job['status']}")
    if follow:
        follow_hosted(settings, engine, job_id, poll=poll, say=say, wandb=wandb)
    return jobs.get(engine, job_id)


def follow_hosted(
    settings: Settings,
    engine: Engine,
    job_id: str,
    *,
    poll: float,
    say: Say,
    wandb: str | None = None,
    once: bool = False,
) -> dict[str, Any]:
    """Read the job (until it is final unless `once`), record its state, model and curves."""
    row = jobs.get(engine, job_id)
    with HostedTuner(settings.llm) as tuner:
        job, events, checkpoints = _read(tuner, row, poll=poll, say=say, once=once)
    points = curves(events)
    metrics = {
        "events": events,
        "curves": points,
        "checkpoints": [
            {"model": c["fine_tuned_model_checkpoint"], "step": c["step_number"], **c["metrics"]}
            for c in checkpoints
        ],
        "trained_tokens": job.get("trained_tokens"),
    }
    error = job.get("error") or {}
    jobs.change(
        engine, row["id"], status=job["status"], result_model=job.get("fine_tuned_model"),
        metrics=metrics, error=error.get("message") if job["status"] == "failed" else None,
    )  # fmt: skip
    if wandb and job["status"] in FINAL:
        folder = Workspace(settings.workspace).root / "wandb"
        config = {"provider": "openai", **row, "hyperparameters": job.get("hyperparameters")}
        log_training(wandb, row["id"], _jsonable(config), points, folder)
    return jobs.get(engine, row["id"])


def _read(
    tuner: HostedTuner, row: dict[str, Any], *, poll: float, say: Say, once: bool
) -> tuple[dict[str, Any], list[Event], list[dict[str, Any]]]:
    """The job, all its events (those read before included) and its checkpoints."""
    events: list[Event] = list((row["metrics"] or {}).get("events", []))
    seen = {e["id"] for e in events}

    def on_event(event: Event) -> None:
        events.append(event)
        say(f"{event['level']}: {event['message']}")

    if once:
        job = tuner.retrieve(row["external_id"])
        for event in tuner.events(row["external_id"], seen):
            on_event(event)
    else:
        job = tuner.follow(row["external_id"], on_event, poll=poll, seen=seen)
    return job, events, tuner.checkpoints(row["external_id"])


def start_local(
    settings: Settings,
    engine: Engine,
    config: LocalConfig,
    *,
    say: Say,
    wandb: str | None = None,
) -> dict[str, Any]:
    check_dataset(Path(config.dataset))
    hyper = {k: v for k, v in asdict(config).items() if k not in ("base_model", "dataset", "out")}
    job_id = jobs.create(
        engine, provider="local", base_model=config.base_model, dataset=config.dataset,
        status="running", hyperparameters=hyper,
    )  # fmt: skip
    if not config.out:
        out = Workspace(settings.workspace).root / "tune" / job_id
        config = LocalConfig(**{**asdict(config), "out": str(out)})
    try:
        result = train_lora(config, lambda p: say(_point(p)))
    except BaseException as exc:
        jobs.change(engine, job_id, status="failed", error=str(exc) or type(exc).__name__)
        raise
    points = sorted(result.train_loss + result.valid_loss, key=lambda p: p["step"])
    metrics = {
        "curves": points,
        "steps": result.steps,
        "steps_per_second": round(result.steps_per_second, 3),
        "device": result.device,
    }
    jobs.change(
        engine, job_id, status="succeeded", result_model=str(result.adapter), metrics=metrics
    )
    if wandb:
        folder = Workspace(settings.workspace).root / "wandb"
        log_training(wandb, job_id, {"provider": "local", **asdict(config)}, points, folder)
    return jobs.get(engine, job_id)


def cancel(settings: Settings, engine: Engine, job_id: str | None) -> dict[str, Any]:
    row = jobs.get(engine, job_id)
    if row["provider"] != "openai" or not row["external_id"]:
        raise ContentError(
            f"job {row['id']} runs locally; stop it where it runs (Ctrl-C)",
            hint="only hosted jobs are cancelled through the provider",
        )
    with HostedTuner(settings.llm) as tuner:
        job = tuner.cancel(row["external_id"])
    jobs.change(engine, row["id"], status=job["status"])
    return jobs.get(engine, row["id"])


def _point(point: dict[str, float]) -> str:
    return " ".join(f"{k}={v}" for k, v in point.items())


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}
