"""In-house LoRA fine-tuning, for real, on a tiny model made in the test (CPU, seconds), with
the curves logged to Weights & Biases in offline mode (nothing leaves the machine)."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from typer.testing import CliRunner

from marketloop.appdb import open_app_db
from marketloop.cli import app
from marketloop.config import app_db_url, load_settings
from marketloop.content.tune import jobs
from marketloop.content.tune.extra import quiet_peft
from marketloop.content.tune.serve import LocalModel, serve_app
from marketloop.content.tune.tiny import make_tiny_model
from marketloop.errors import ContentError
from marketloop.fakes.server import LocalServer

from .test_decide import SUITE
from .test_hosted import write_dataset


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def test_lora_adapter_curves_and_config(
    cli: CliRunner,
    workspace: Path,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    data = write_dataset(tmp_path / "data", train=8, valid=2)
    result = cli.invoke(
        app,
        [
            "tune", "start", "--provider", "local", "--base-model", str(tiny_model),
            "--dataset", str(data), "--epochs", "3", "--learning-rate", "0.01",
            "--wandb", "ml-briefs",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = jobs.get(open_app_db(app_db_url(load_settings())), None)
    assert row["status"] == "succeeded" and row["provider"] == "local"
    run = Path(row["result_model"]).parent
    assert run.parent == workspace / "tune"
    assert {p.name for p in (run / "adapter").iterdir()} >= {
        "adapter_config.json",
        "adapter_model.safetensors",
    }
    adapter = json.loads((run / "adapter" / "adapter_config.json").read_text())
    assert adapter["r"] == 8 and adapter["peft_type"] == "LORA"
    curves = json.loads((run / "curves.json").read_text())
    assert len(curves["train"]) == 24 and [p["epoch"] for p in curves["validation"]] == [1, 2, 3]
    assert curves["validation"][-1]["valid_loss"] < curves["validation"][0]["valid_loss"]
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["learning_rate"] == 0.01 and config["device"] == "cpu"
    assert set(config["versions"]) == {"torch", "transformers", "peft"}
    assert row["metrics"]["steps"] == 24 and row["metrics"]["device"] == "cpu"
    offline = list((workspace / "wandb" / "wandb").glob("offline-run-*"))
    assert len(offline) == 1 and list(offline[0].glob("run-*.wandb"))


def test_local_needs_a_model_folder_and_a_dataset(
    cli: CliRunner, workspace: Path, tiny_model: Path, tmp_path: Path
) -> None:
    data = write_dataset(tmp_path / "data")
    args = ["tune", "start", "--provider", "local", "--dataset"]
    no_model = cli.invoke(app, [*args, str(data), "--base-model", str(tmp_path)])
    assert isinstance(no_model.exception, ContentError)
    assert "not a local model folder" in str(no_model.exception)
    no_data = cli.invoke(app, [*args, str(tmp_path / "none"), "--base-model", str(tiny_model)])
    assert isinstance(no_data.exception, ContentError) and "holds no train.jsonl" in str(
        no_data.exception
    )


def test_a_tuned_local_model_is_an_eval_candidate(
    cli: CliRunner,
    workspace: Path,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Base + adapter served OpenAI-style; `eval decide` runs the suite against it for real."""
    import peft
    from transformers import AutoModelForCausalLM

    adapter = tmp_path / "adapter"
    base = AutoModelForCausalLM.from_pretrained(tiny_model, local_files_only=True)
    with quiet_peft():
        lora = peft.get_peft_model(base, peft.LoraConfig(task_type="CAUSAL_LM", r=4))
    lora.save_pretrained(adapter)
    local = LocalModel.load(str(tiny_model), str(adapter), "briefs-lora", max_new_tokens=8)
    with LocalServer(serve_app(local)) as server:
        with openai.OpenAI(base_url=server.url + "/v1", api_key="none") as sdk:
            answer = sdk.chat.completions.create(
                model="briefs-lora", messages=[{"role": "user", "content": "Write a draft."}]
            )
            assert answer.model == "briefs-lora" and answer.usage is not None
            assert 0 < answer.usage.completion_tokens <= 8
            assert [m.id for m in sdk.models.list()] == ["briefs-lora"]
        for key, value in {
            "MARKETLOOP_LLM_PROVIDER": "openai",
            "MARKETLOOP_LLM_BASE_URL": server.url + "/v1",
            "MARKETLOOP_LLM_RETRIES": "0",
        }.items():
            monkeypatch.setenv(key, value)
        result = cli.invoke(
            app, ["eval", "decide", "--suite", str(SUITE), "--candidate", "draft@v1=briefs-lora"]
        )
    assert result.exit_code == 0, result.output
    record = next((workspace / "reports" / "decisions").glob("decision-*.md")).read_text()
    assert "briefs-lora" in record and "price unknown" in record
