"""Hosted fine-tuning against the fake OpenAI server: files, jobs, events, checkpoints, the
recorded model id, cancel, the service's errors and 429s, through `marketloop tune …`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from typer.testing import CliRunner

from marketloop.appdb import open_app_db
from marketloop.cli import app
from marketloop.config import app_db_url, load_settings
from marketloop.content.errors import LlmError, LlmUnavailable
from marketloop.content.tune import jobs, tracking
from marketloop.errors import UsageError
from marketloop.fakes.openai import FakeOpenAI

from .conftest import Spec, draft, write_folder

BASE = "gpt-4o-mini-2024-07-18"


def write_dataset(folder: Path, train: int = 12, valid: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)

    def example(i: int) -> str:
        messages = [
            {"role": "system", "content": "You write drafts."},
            {"role": "user", "content": f"Brief {i}"},
            {"role": "assistant", "content": f"# Draft {i}\n\nText."},
        ]
        return json.dumps({"messages": messages}) + "\n"

    (folder / "train.jsonl").write_text("".join(example(i) for i in range(train)))
    (folder / "validation.jsonl").write_text("".join(example(100 + i) for i in range(valid)))
    return folder


def start(cli: CliRunner, dataset: Path, *extra: str) -> Any:
    args = ["tune", "start", "--provider", "openai", "--base-model", BASE]
    return cli.invoke(app, [*args, "--dataset", str(dataset), "--poll", "0", *extra])


def latest() -> dict[str, Any]:
    return jobs.get(open_app_db(app_db_url(load_settings())), None)


def test_job_runs_to_a_model_id(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    llm_env.tuning.knobs.rate_limits = 2  # the SDK waits out Retry-After and goes on
    llm_env.tuning.knobs.retry_after = 0.01
    llm_env.tuning.knobs.server_errors = 1  # and retries a 500
    data = write_dataset(tmp_path / "data")
    result = start(cli, data, "--epochs", "2", "--suffix", "briefs", "--wandb", "ft")
    assert result.exit_code == 0, result.output
    row = latest()
    assert row["status"] == "succeeded" and row["provider"] == "openai"
    assert row["result_model"] == f"ft:{BASE}:org-fake:briefs:{row['external_id'][-6:]}"
    assert f"→ {row['result_model']}" in result.output
    assert "New fine-tuned model created" in result.output
    metrics = row["metrics"]
    assert [p["step"] for p in metrics["curves"]] == [12, 24]
    assert metrics["curves"][-1]["train_loss"] < metrics["curves"][0]["train_loss"]
    assert [c["step"] for c in metrics["checkpoints"]] == [12, 24]
    assert metrics["trained_tokens"] > 0
    job = llm_env.tuning.jobs[row["external_id"]]
    assert job.body["method"]["supervised"]["hyperparameters"] == {
        "n_epochs": 2, "batch_size": "auto", "learning_rate_multiplier": "auto",
    }  # fmt: skip
    purposes = [meta["purpose"] for meta, _ in llm_env.tuning.files.values()]
    assert purposes == ["fine-tune", "fine-tune"]  # train and validation uploaded
    assert job.body["validation_file"] is not None
    workspace = Path(load_settings().workspace)
    assert len(list((workspace / "wandb" / "wandb").glob("offline-run-*"))) == 1


def test_wandb_stays_offline_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    assert tracking.mode() == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert tracking.mode() == "online"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert tracking.mode() == "disabled"


def test_invalid_training_file_fails_the_job(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    result = start(cli, write_dataset(tmp_path / "data", train=3))
    assert result.exit_code == 0, result.output
    row = latest()
    assert row["status"] == "failed" and row["result_model"] is None
    assert "at least 10 examples" in row["error"]


def test_the_service_refuses_an_unknown_base_model(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    result = start(cli, write_dataset(tmp_path / "data"), "--base-model", "gpt-5-pro")
    assert isinstance(result.exception, LlmError)
    assert "not available for fine-tuning" in str(result.exception)
    assert "param model" in str(result.exception)
    assert latest()["status"] == "failed"


def test_follow_later_then_cancel(cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path) -> None:
    result = start(cli, write_dataset(tmp_path / "data"), "--no-follow")
    assert result.exit_code == 0, result.output
    row = latest()
    assert row["status"] == "validating_files"
    status = cli.invoke(app, ["tune", "status", row["id"], "--format", "json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)[0]["status"] == "queued"
    cancelled = cli.invoke(app, ["tune", "cancel", row["external_id"]])
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    assert latest()["status"] == "cancelled" and latest()["finished_at"] is not None
    again = cli.invoke(app, ["tune", "cancel", row["id"]])
    assert isinstance(again.exception, LlmError) and "already cancelled" in str(again.exception)
    listed = cli.invoke(app, ["tune", "status", "--all", "--format", "csv"])
    assert listed.stdout.count("\n") == 2


def test_failure_while_running_is_recorded(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    llm_env.tuning.knobs.fail_job = "server_error"
    result = start(cli, write_dataset(tmp_path / "data"))
    assert result.exit_code == 0, result.output
    assert latest()["status"] == "failed" and "internal error" in latest()["error"]


def test_fake_endpoints_answer_like_the_service(
    llm_env: FakeOpenAI, settings: Any, tmp_path: Path
) -> None:
    with openai.OpenAI(base_url=settings.llm.base_url, api_key="sk-fake", max_retries=0) as sdk:
        _endpoints(llm_env, sdk, settings, tmp_path)


def _endpoints(llm_env: FakeOpenAI, sdk: openai.OpenAI, settings: Any, tmp_path: Path) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.files.create(file=("notes.txt", b"x"), purpose="fine-tune")
    assert bad.value.code == "invalid_file_format"
    assistants = sdk.files.create(file=("a.jsonl", b"{}"), purpose="assistants")
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.fine_tuning.jobs.create(model=BASE, training_file=assistants.id)
    assert bad.value.code == "invalid_file_purpose" and bad.value.param == "training_file"
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.fine_tuning.jobs.create(
            model=BASE, training_file="file-nope", hyperparameters={"n_epochs": 0}
        )
    assert bad.value.param == "training_file"
    with pytest.raises(openai.NotFoundError):
        sdk.fine_tuning.jobs.retrieve("ftjob-nope")
    with (
        openai.OpenAI(base_url=settings.llm.base_url, api_key="sk-wrong") as wrong,
        pytest.raises(openai.AuthenticationError),
    ):
        wrong.fine_tuning.jobs.list()
    llm_env.tuning.knobs.rate_limits = 1
    with pytest.raises(openai.RateLimitError) as limited:
        sdk.fine_tuning.jobs.list()
    assert limited.value.response.headers["retry-after"] == "1"
    data = write_dataset(tmp_path / "d") / "train.jsonl"
    upload = sdk.files.create(file=(data.name, data.read_bytes()), purpose="fine-tune")
    job = sdk.fine_tuning.jobs.create(model=BASE, training_file=upload.id)
    for _ in range(6):
        job = sdk.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded" and job.fine_tuned_model and job.trained_tokens
    events = sdk.fine_tuning.jobs.list_events(job.id, limit=3)
    assert len(events.data) == 3 and events.has_more
    page = sdk.fine_tuning.jobs.list_events(job.id, limit=3, after=events.data[-1].id)
    assert page.data[0].id not in {e.id for e in events.data}
    everything = list(sdk.fine_tuning.jobs.list_events(job.id, limit=2))  # auto-paging
    assert everything[-1].message.startswith("Created fine-tuning job")
    checkpoints = sdk.fine_tuning.jobs.checkpoints.list(job.id)
    assert [c.step_number for c in checkpoints.data] == [36, 24, 12]
    assert sdk.files.content(upload.id).read() == data.read_bytes()
    # the tuned model answers chat completions like any other model
    answer = sdk.chat.completions.create(
        model=job.fine_tuned_model, messages=[{"role": "user", "content": "Hi"}]
    )
    assert answer.model == job.fine_tuned_model


@pytest.mark.postgres
def test_reviews_dataset_and_jobs_on_postgres(
    cli: CliRunner,
    llm_env: FakeOpenAI,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "MARKETLOOP_APP_DB_URL", postgres_url.replace("postgresql://", "postgresql+psycopg://")
    )
    specs = [Spec(f"brief-{i}", f"cluster {i % 4}", draft(f"Draft {i}")) for i in range(16)]
    briefs = write_folder(tmp_path / "briefs", specs)
    assert cli.invoke(app, ["tune", "review", *(s.slug for s in specs)]).exit_code == 0
    assert cli.invoke(app, ["tune", "review", "brief-0", "--reject"]).exit_code == 0
    data = tmp_path / "data"
    made = cli.invoke(
        app,
        ["tune", "dataset", "--briefs", str(briefs), "--out", str(data), "--validation", "0.1"],
    )
    assert made.exit_code == 0, made.output
    manifest = json.loads((data / "manifest.json").read_text())
    # brief-0 rejected; "cluster 0" (brief-4, 8, 12) is held out for validation
    assert (manifest["counts"]["train"], manifest["counts"]["validation"]) == (12, 3)
    result = start(cli, data)
    assert result.exit_code == 0, result.output
    row = latest()
    assert row["status"] == "succeeded" and row["result_model"].startswith("ft:")
    assert row["metrics"]["trained_tokens"] > 0


def test_retries_run_out_with_a_clear_error(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARKETLOOP_LLM_RETRIES", "1")
    llm_env.tuning.knobs.server_errors = 5
    result = start(cli, write_dataset(tmp_path / "data"))
    assert isinstance(result.exception, LlmUnavailable)
    assert "uploading the training file at http://127.0.0.1" in str(result.exception)
    assert latest()["status"] == "failed"


def test_serve_wants_a_finished_local_job(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    start(cli, write_dataset(tmp_path / "data"))
    result = cli.invoke(app, ["tune", "serve", "--job", latest()["id"]])
    assert isinstance(result.exception, UsageError) and "not a finished local job" in str(
        result.exception
    )
    nothing = cli.invoke(app, ["tune", "serve"])
    assert isinstance(nothing.exception, UsageError) and "--job or --base-model" in str(
        nothing.exception
    )
