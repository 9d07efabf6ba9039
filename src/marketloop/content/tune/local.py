"""In-house fine-tuning: a LoRA adapter on a local causal language model (transformers + peft,
the `tune` extra), on the GPU when there is one and the CPU otherwise.

The loop is plain PyTorch so that what runs is visible: each example is the chat rendered
with the tokenizer's chat template (or a plain `<|role|>` layout when it has none), the loss
counts only the assistant's tokens, AdamW over the adapter's weights, validation loss after
every epoch. An example longer than `max_length` tokens keeps at least half the window for the
answer; the prompt is cut from its start. The run folder gets

    OUT/adapter/        the adapter (peft `save_pretrained`: adapter_config.json + weights)
    OUT/curves.json     train loss per step, validation loss per epoch
    OUT/config.json     the exact configuration, device, library versions, dataset manifest
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from marketloop.content.tune.build import TRAIN, VALIDATION
from marketloop.content.tune.extra import quiet_peft, require_tune
from marketloop.errors import ContentError
from marketloop.workspace import write_atomic


@dataclass(frozen=True)
class LocalConfig:
    base_model: str  # a local folder (config.json + weights + tokenizer)
    dataset: str
    out: str
    epochs: int = 1
    learning_rate: float = 2e-4
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    target_modules: list[str] | None = None  # None: peft's default for the architecture
    max_length: int = 1024
    max_steps: int | None = None  # stop early (benchmarks, smoke runs)
    seed: int = 42
    device: str | None = None  # default: cuda when available, else cpu


@dataclass
class LocalResult:
    adapter: Path
    device: str
    steps: int
    seconds: float
    train_loss: list[dict[str, float]] = field(default_factory=list)
    valid_loss: list[dict[str, float]] = field(default_factory=list)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


def train_lora(
    config: LocalConfig, on_step: Callable[[dict[str, float]], None] = lambda _: None
) -> LocalResult:
    torch, transformers, peft = require_tune()
    torch.manual_seed(config.seed)
    device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer, model = load_model(transformers, config.base_model)
    lora = peft.LoraConfig(
        task_type="CAUSAL_LM",
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
    )
    with quiet_peft():
        model = peft.get_peft_model(model, lora).to(device)
    train = _encode(tokenizer, Path(config.dataset) / TRAIN, config.max_length)
    valid = _encode(tokenizer, Path(config.dataset) / VALIDATION, config.max_length)
    if not train:
        raise ContentError(f"no training examples in {config.dataset}/{TRAIN}")
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate)
    result = LocalResult(Path(config.out) / "adapter", device, 0, 0.0)
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        for ids, labels in train:
            if config.max_steps is not None and result.steps >= config.max_steps:
                break
            loss = model(input_ids=ids.to(device), labels=labels.to(device)).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            result.steps += 1
            point = {"step": result.steps, "epoch": epoch, "train_loss": round(loss.item(), 5)}
            result.train_loss.append(point)
            on_step(point)
        if valid:
            point = {
                "step": result.steps,
                "epoch": epoch,
                "valid_loss": _loss(torch, model, valid, device),
            }
            result.valid_loss.append(point)
            on_step(point)
    result.seconds = time.perf_counter() - started
    model.save_pretrained(str(result.adapter))
    _write_run(config, result, torch, transformers, peft)
    return result


def format_chat(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, str]:
    """(prompt, answer): the conversation up to the assistant's turn, and the turn itself."""
    *context, answer = messages
    if getattr(tokenizer, "chat_template", None):
        prompt = tokenizer.apply_chat_template(context, tokenize=False, add_generation_prompt=True)
        return str(prompt), answer["content"] + (tokenizer.eos_token or "")
    prompt = "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in context) + "<|assistant|>\n"
    return prompt, answer["content"] + (tokenizer.eos_token or "")


def load_model(transformers: Any, path: str) -> tuple[Any, Any]:
    """The tokenizer and model of a local model folder (never a download)."""
    transformers.utils.logging.disable_progress_bar()
    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise ContentError(
            f"{path} is not a local model folder (no config.json)",
            hint="pass --base-model with a folder saved by `save_pretrained` (weights, tokenizer)",
        )
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
    return tokenizer, model


def _encode(tokenizer: Any, path: Path, max_length: int) -> list[tuple[Any, Any]]:
    """Token ids and labels per example; the prompt's labels are -100 (no loss)."""
    import torch

    if not path.is_file():
        return []
    encoded = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        prompt, answer = format_chat(tokenizer, json.loads(line)["messages"])
        head = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        tail = tokenizer(answer, add_special_tokens=False)["input_ids"]
        head, tail = fit(head, tail, max_length)
        labels = [-100] * len(head) + tail
        encoded.append((torch.tensor([head + tail]), torch.tensor([labels])))
    return encoded


def fit(head: list[int], tail: list[int], window: int) -> tuple[list[int], list[int]]:
    """Prompt and answer within `window` tokens: the answer keeps at least half the window,
    the prompt loses its start first (the end, next to the answer, matters most)."""
    if len(head) + len(tail) <= window:
        return head, tail
    tail = tail[: max(window // 2, window - len(head))]
    return head[len(head) - (window - len(tail)) :], tail


def _loss(torch: Any, model: Any, examples: list[tuple[Any, Any]], device: str) -> float:
    model.eval()
    with torch.no_grad():
        losses = [
            model(input_ids=ids.to(device), labels=labels.to(device)).loss.item()
            for ids, labels in examples
        ]
    model.train()
    mean = sum(losses) / len(losses)
    return round(mean, 5) if math.isfinite(mean) else float("nan")


def _write_run(config: LocalConfig, result: LocalResult, *libs: Any) -> None:
    out = Path(config.out)
    curves = {"train": result.train_loss, "validation": result.valid_loss}
    write_atomic(out / "curves.json", json.dumps(curves, indent=2) + "\n")
    manifest = Path(config.dataset) / "manifest.json"
    exact = {
        "config": asdict(config),
        "device": result.device,
        "steps": result.steps,
        "seconds": round(result.seconds, 3),
        "versions": {lib.__name__: lib.__version__ for lib in libs},
        "dataset_manifest": json.loads(manifest.read_text()) if manifest.is_file() else None,
    }
    write_atomic(out / "config.json", json.dumps(exact, indent=2, default=str) + "\n")
