"""Hosted fine-tuning through the provider's API, with the official `openai` SDK (any endpoint
that speaks OpenAI's files and fine-tuning API; `[llm] base_url` and `api_key`):

1. upload `train.jsonl` (and `validation.jsonl` when it has examples) to `/v1/files` with
   purpose `fine-tune`;
2. create the job on `/v1/fine_tuning/jobs` with the supervised method's hyper-parameters;
3. follow it: poll the job, print its new events (the API lists them newest first), collect
   the `metrics` events as training curves and the checkpoints, until a final state.

The SDK retries 429s (honouring `Retry-After`), 5xx and timeouts `[llm] retries` times; what
is left becomes a one-line `LlmError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai

from marketloop.content.config import LlmSettings
from marketloop.content.errors import LlmAuthError, LlmError, LlmUnavailable, QuotaExhausted
from marketloop.content.llm.client import OPENAI_URL, endpoint_key
from marketloop.content.tune.build import TRAIN, VALIDATION

FINAL = frozenset({"succeeded", "failed", "cancelled"})
Event = dict[str, Any]


class HostedTuner:
    def __init__(
        self, settings: LlmSettings, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.base_url = settings.base_url or OPENAI_URL
        self.sdk = openai.OpenAI(
            api_key=endpoint_key(settings),
            base_url=self.base_url,
            max_retries=settings.retries,
            timeout=settings.timeout,
        )
        self._sleep = sleep

    def __enter__(self) -> HostedTuner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sdk.close()

    def start(
        self, dataset: Path, base_model: str, hyper: dict[str, Any], suffix: str | None
    ) -> dict[str, Any]:
        """Upload the files and create the job; returns the job as the API describes it."""
        with self._errors("uploading the training file"):
            training = self._upload(dataset / TRAIN)
            validation = (
                self._upload(dataset / VALIDATION) if _has_lines(dataset / VALIDATION) else None
            )
        method = {"type": "supervised", "supervised": {"hyperparameters": hyper}}
        with self._errors(f"creating a fine-tuning job of {base_model}"):
            job = self.sdk.fine_tuning.jobs.create(
                model=base_model,
                training_file=training,
                validation_file=validation or openai.omit,
                suffix=suffix or openai.omit,
                method=method,  # type: ignore[arg-type]
            )
        return job.model_dump()

    def retrieve(self, job_id: str) -> dict[str, Any]:
        with self._errors(f"reading job {job_id}"):
            return self.sdk.fine_tuning.jobs.retrieve(job_id).model_dump()

    def cancel(self, job_id: str) -> dict[str, Any]:
        with self._errors(f"cancelling job {job_id}"):
            return self.sdk.fine_tuning.jobs.cancel(job_id).model_dump()

    def events(self, job_id: str, seen: set[str]) -> list[Event]:
        """The job's events not in `seen`, oldest first (and adds them to `seen`)."""
        fresh: list[Event] = []
        with self._errors(f"reading the events of job {job_id}"):
            for event in self.sdk.fine_tuning.jobs.list_events(job_id, limit=100):
                if event.id in seen:
                    break
                fresh.append(event.model_dump())
        seen.update(e["id"] for e in fresh)
        return fresh[::-1]

    def checkpoints(self, job_id: str) -> list[dict[str, Any]]:
        with self._errors(f"reading the checkpoints of job {job_id}"):
            pages = self.sdk.fine_tuning.jobs.checkpoints.list(job_id, limit=100)
            return [c.model_dump() for c in pages][::-1]

    def follow(
        self, job_id: str, on_event: Callable[[Event], None], *, poll: float, seen: set[str]
    ) -> dict[str, Any]:
        """Poll until the job is final; every new event goes to `on_event`."""
        while True:
            job = self.retrieve(job_id)
            for event in self.events(job_id, seen):
                on_event(event)
            if job["status"] in FINAL:
                return job
            self._sleep(poll)

    def _upload(self, path: Path) -> str:
        with path.open("rb") as handle:
            return self.sdk.files.create(file=(path.name, handle), purpose="fine-tune").id

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        where = f"{doing} at {self.base_url}"
        try:
            yield
        except openai.AuthenticationError:
            raise LlmAuthError(
                f"{where}: the endpoint rejected the API key",
                hint="set a valid key in MARKETLOOP_LLM_API_KEY",
            ) from None
        except openai.RateLimitError as exc:
            if exc.code == "insufficient_quota":
                raise QuotaExhausted(f"{where}: the account has no quota left") from None
            raise LlmUnavailable(
                f"{where}: still rate limited after the retries", hint="try again later"
            ) from None
        except (openai.InternalServerError, openai.APIConnectionError) as exc:
            raise LlmUnavailable(f"{where}: {type(exc).__name__}", hint="try again later") from None
        except openai.APIStatusError as exc:
            param = f" (param {exc.param})" if exc.param else ""
            raise LlmError(f"{where}: {exc.status_code} {_message(exc)}{param}") from None


def curves(events: list[Event]) -> list[dict[str, Any]]:
    """The `metrics` events' data (step, train_loss, valid_loss, …), in step order."""
    points = [
        e["data"] for e in events if e.get("type") == "metrics" and isinstance(e.get("data"), dict)
    ]
    return sorted(points, key=lambda p: p.get("step", 0))


def _has_lines(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return exc.message
