"""The fake OpenAI server's files and fine-tuning endpoints, as documented:

    POST /v1/files                          multipart `file` + `purpose` → file object
    GET  /v1/files/{id}, /v1/files/{id}/content
    POST /v1/fine_tuning/jobs               {model, training_file, validation_file, suffix,
                                             seed, hyperparameters | method.supervised…}
    GET  /v1/fine_tuning/jobs, /v1/fine_tuning/jobs/{id}
    POST /v1/fine_tuning/jobs/{id}/cancel
    GET  /v1/fine_tuning/jobs/{id}/events        newest first, cursor `after`, `limit`
    GET  /v1/fine_tuning/jobs/{id}/checkpoints   newest first, cursor `after`, `limit`

A job moves one state per read of it (`validating_files` → `queued` → `running`, one epoch per
read, → `succeeded`), so a client's polling drives it and tests need no clocks. Validation is
the service's: at least 10 examples, each a JSON line with `messages` ending in an assistant
message; a bad file fails the job with `invalid_training_file`. A running job logs `metrics`
events (step, train_loss, valid_loss) and writes a checkpoint per epoch; it succeeds with
`fine_tuned_model` = `ft:<base>:org-fake:<suffix>:<id>`. `knobs.rate_limits` sends 429s with
`Retry-After`, `knobs.server_errors` 500s; `knobs.fail_job` fails the next job while running,
with that error code.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from marketloop.fakes.openai_tuning_rules import check_lines, hyperparameters, invalid_job
from marketloop.fakes.openai_validate import error

Auth = Callable[[web.Request], web.Response | None]
FINE_TUNABLE = frozenset(
    {
        "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-3.5-turbo-0125",
    }
)  # fmt: skip
PURPOSES = frozenset({"assistants", "batch", "fine-tune", "vision", "user_data", "evals"})
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


@dataclass
class TuningKnobs:
    rate_limits: int = 0  # next N requests: 429 with Retry-After
    retry_after: float = 1.0
    server_errors: int = 0  # next N requests: 500 server_error
    fail_job: str | None = None  # the next job fails while running with this error code


@dataclass
class Job:
    body: dict[str, Any]
    status: str = "validating_files"
    epochs: int = 3
    examples: int = 0
    tokens: int = 0
    epoch: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    fails_with: str | None = None


class FineTuning:
    def __init__(self, auth: Auth) -> None:
        self.auth = auth
        self.knobs = TuningKnobs()
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self.created = int(time.time())

    def register(self, app: web.Application) -> None:
        routes = [
            ("POST", "/v1/files", self._upload),
            ("GET", "/v1/files/{id}", self._file),
            ("GET", "/v1/files/{id}/content", self._content),
            ("POST", "/v1/fine_tuning/jobs", self._create),
            ("GET", "/v1/fine_tuning/jobs", self._list),
            ("GET", "/v1/fine_tuning/jobs/{id}", self._retrieve),
            ("POST", "/v1/fine_tuning/jobs/{id}/cancel", self._cancel),
            ("GET", "/v1/fine_tuning/jobs/{id}/events", self._events),
            ("GET", "/v1/fine_tuning/jobs/{id}/checkpoints", self._checkpoints),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, self._gate(handler))

    def _gate(self, handler: Callable[[web.Request], Awaitable[web.Response]]) -> Any:
        async def gated(request: web.Request) -> web.Response:
            if denied := self.auth(request):
                return denied
            if self.knobs.rate_limits > 0:
                self.knobs.rate_limits -= 1
                wait = self.knobs.retry_after
                headers = {
                    "retry-after": str(math.ceil(wait)),
                    "retry-after-ms": str(int(wait * 1000)),
                }
                msg = "Rate limit reached for requests. Please try again in a moment."
                return error(
                    429, msg, None, "rate_limit_exceeded", kind="requests", headers=headers
                )
            if self.knobs.server_errors > 0:
                self.knobs.server_errors -= 1
                return error(500, SERVER_ERROR, None, None, kind="server_error")
            return await handler(request)

        return gated

    # --- files -----------------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            return error(
                400, "Expected a multipart/form-data body with `file` and `purpose`.", None
            )
        form = await request.post()
        purpose, upload = form.get("purpose"), form.get("file")
        if not isinstance(purpose, str) or purpose not in PURPOSES:
            shown = purpose if isinstance(purpose, str) else ""
            msg = f"'{shown}' is not one of {sorted(PURPOSES)} - 'purpose'"
            return error(400, msg, "purpose")
        if not isinstance(upload, web.FileField):
            return error(400, "Missing required parameter: 'file'.", "file")
        name, data = upload.filename or "upload", upload.file.read()
        if purpose == "fine-tune" and not name.endswith(".jsonl"):
            msg = f"Invalid file format for Fine-Tuning API. Must be .jsonl, got {name}"
            return error(400, msg, "file", "invalid_file_format")
        return web.json_response(self._store(name, data, purpose))

    def _store(self, name: str, data: bytes, purpose: str) -> dict[str, Any]:
        file_id = f"file-fake{next(self._ids):06d}"
        meta = {
            "id": file_id, "object": "file", "bytes": len(data), "created_at": self._now(),
            "filename": name, "purpose": purpose, "status": "processed",
            "expires_at": None, "status_details": None,
        }  # fmt: skip
        self.files[file_id] = (meta, data)
        return meta

    async def _file(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["id"])
        if found is None:
            return _no_file(request.match_info["id"])
        return web.json_response(found[0])

    async def _content(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["id"])
        if found is None:
            return _no_file(request.match_info["id"])
        return web.Response(body=found[1], content_type="application/octet-stream")

    # --- jobs ------------------------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return error(400, "We could not parse the JSON body of your request.", None)
        if not isinstance(body, dict):
            return error(400, "The request body must be a JSON object.", None)
        if problem := invalid_job(body, self.files):
            return problem
        job_id = f"ftjob-fake{next(self._ids):06d}"
        epochs = hyperparameters(body).get("n_epochs", "auto")
        job = Job(body=body, epochs=3 if epochs == "auto" else int(epochs))
        job.fails_with, self.knobs.fail_job = self.knobs.fail_job, None
        self.jobs[job_id] = job
        self._event(job_id, "info", f"Created fine-tuning job: {job_id}")
        self._event(job_id, "info", f"Validating training file: {body['training_file']}")
        return web.json_response(self._job(job_id))

    async def _list(self, request: web.Request) -> web.Response:
        jobs = [self._job(job_id) for job_id in reversed(self.jobs)]
        return web.json_response(_page(jobs, request))

    async def _retrieve(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        if job_id not in self.jobs:
            return _no_job(job_id)
        self._advance(job_id)
        return web.json_response(self._job(job_id))

    async def _cancel(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        job = self.jobs.get(job_id)
        if job is None:
            return _no_job(job_id)
        if job.status in TERMINAL:
            msg = f"Job {job_id} has already {job.status}. Only running jobs can be cancelled."
            return error(400, msg, None, "job_not_cancellable")
        job.status, job.finished_at = "cancelled", self._now()
        self._event(job_id, "info", "Fine-tuning job cancelled")
        return web.json_response(self._job(job_id))

    async def _events(self, request: web.Request) -> web.Response:
        job = self.jobs.get(request.match_info["id"])
        if job is None:
            return _no_job(request.match_info["id"])
        return web.json_response(_page(list(reversed(job.events)), request))

    async def _checkpoints(self, request: web.Request) -> web.Response:
        job = self.jobs.get(request.match_info["id"])
        if job is None:
            return _no_job(request.match_info["id"])
        page = _page(list(reversed(job.checkpoints)), request)
        data = page["data"]
        page.update(
            first_id=data[0]["id"] if data else None, last_id=data[-1]["id"] if data else None
        )
        return web.json_response(page)

    # --- the job's life ----------------------------------------------------------------------

    def _advance(self, job_id: str) -> None:
        job = self.jobs[job_id]
        if job.status == "validating_files":
            self._validate(job_id)
        elif job.status == "queued":
            job.status = "running"
            self._event(job_id, "info", "Fine-tuning job started")
        elif job.status == "running":
            self._epoch(job_id)

    def _validate(self, job_id: str) -> None:
        job = self.jobs[job_id]
        _, data = self.files[job.body["training_file"]]
        problem, examples, tokens = check_lines(data)
        if problem:
            job.status, job.finished_at = "failed", self._now()
            job.error = {
                "code": "invalid_training_file",
                "message": problem,
                "param": "training_file",
            }
            self._event(job_id, "error", problem)
            return
        job.examples, job.tokens, job.status = examples, tokens, "queued"
        self._event(job_id, "info", "Files validated, moving job to queued state")

    def _epoch(self, job_id: str) -> None:
        job = self.jobs[job_id]
        job.epoch += 1
        steps = job.examples  # batch size 1
        step = job.epoch * steps
        train_loss = round(2.0 / (1 + job.epoch), 4)
        valid_loss = round(train_loss * 1.1, 4)
        data = {
            "step": step,
            "train_loss": train_loss,
            "valid_loss": valid_loss,
            "total_steps": steps * job.epochs,
        }
        msg = f"Step {step}/{steps * job.epochs}: training loss={train_loss}"
        self._event(job_id, "info", msg, data=data, kind="metrics")
        if job.fails_with is not None:
            job.status, job.finished_at = "failed", self._now()
            job.error = {
                "code": job.fails_with,
                "message": "The job failed due to an internal error.",
                "param": None,
            }
            self._event(job_id, "error", job.error["message"])
            return
        base = f"ft:{job.body['model']}:org-fake:{job.body.get('suffix') or ''}:{job_id[-6:]}"
        job.checkpoints.append(
            {
                "id": f"ftckpt-fake{next(self._ids):06d}", "object": "fine_tuning.job.checkpoint",
                "created_at": self._now(), "fine_tuning_job_id": job_id, "step_number": step,
                "fine_tuned_model_checkpoint": f"{base}:ckpt-step-{step}",
                "metrics": {"step": step, "train_loss": train_loss, "valid_loss": valid_loss},
            }
        )  # fmt: skip
        if job.epoch >= job.epochs:
            job.status, job.finished_at, job.fine_tuned_model = "succeeded", self._now(), base
            self._event(job_id, "info", f"New fine-tuned model created: {base}")
            self._event(job_id, "info", "The job has successfully completed")

    def _job(self, job_id: str) -> dict[str, Any]:
        job, body = self.jobs[job_id], self.jobs[job_id].body
        hyper = {"n_epochs": job.epochs, "batch_size": 1, "learning_rate_multiplier": 1.8,
                 **{k: v for k, v in hyperparameters(body).items() if v != "auto"}}  # fmt: skip
        return {
            "id": job_id, "object": "fine_tuning.job", "created_at": self.created,
            "model": body["model"], "organization_id": "org-fake", "status": job.status,
            "training_file": body["training_file"], "validation_file": body.get("validation_file"),
            "hyperparameters": hyper, "seed": body.get("seed", 42), "error": job.error,
            "fine_tuned_model": job.fine_tuned_model, "finished_at": job.finished_at,
            "trained_tokens": job.tokens * job.epochs if job.status == "succeeded" else None,
            "result_files": [], "estimated_finish": None, "integrations": [],
            "metadata": body.get("metadata"),
            "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}},
        }  # fmt: skip

    def _event(
        self, job_id: str, level: str, message: str, *, data: Any = None, kind: str = "message"
    ) -> None:
        self.jobs[job_id].events.append(
            {
                "id": f"ftevent-fake{next(self._ids):06d}",
                "object": "fine_tuning.job.event",
                "created_at": self._now(),
                "level": level,
                "message": message,
                "data": data,
                "type": kind,
            }
        )

    def _now(self) -> int:
        return int(time.time())


def _page(items: list[dict[str, Any]], request: web.Request) -> dict[str, Any]:
    """Cursor pagination: items after the one whose id is `after`, at most `limit`."""
    after = request.query.get("after")
    text = request.query.get("limit", "20")
    limit = min(int(text), 100) if text.isdigit() and int(text) > 0 else 20
    if after is not None:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit}


def _no_job(job_id: str) -> web.Response:
    return error(404, f"Could not find fine-tune: {job_id}", "fine_tune_id", "fine_tune_not_found")


def _no_file(file_id: str) -> web.Response:
    return error(404, f"No such File object: {file_id}", "id")
