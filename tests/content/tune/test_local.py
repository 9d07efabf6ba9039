"""In-house LoRA fine-tuning, for real, on a tiny model made in the test (CPU, seconds), with
the curves logged to Weights & Biases in offline mode (nothing leaves the machine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketloop.appdb import open_app_db
from marketloop.cli import app
from marketloop.config import app_db_url, load_settings
from marketloop.content.tune import jobs
from marketloop.errors import ContentError

from .test_hosted import write_dataset
from .tiny import make_tiny_model


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
