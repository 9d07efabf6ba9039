"""What the fake's fine-tuning endpoints refuse, in the service's words: job requests (model,
files and their purpose, suffix, hyper-parameters) and training files (JSON lines of
`messages` ending with the assistant, at least 10 examples). Used by `openai_tuning.py`."""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

from marketloop.fakes.openai_validate import error

FINE_TUNABLE = frozenset(
    {
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
        "gpt-3.5-turbo-0125",
    }
)
MIN_EXAMPLES = 10


def invalid_job(
    body: dict[str, Any], files: dict[str, tuple[dict[str, Any], bytes]]
) -> web.Response | None:
    """The service's 400 for a job request it refuses, or None."""
    model = body.get("model")
    if not isinstance(model, str):
        return error(400, "Missing required parameter: 'model'.", "model")
    if model not in FINE_TUNABLE:
        msg = f"Model {model} is not available for fine-tuning or does not exist."
        return error(400, msg, "model", "model_not_available")
    for key in ("training_file", "validation_file"):
        if problem := _bad_file(body, key, files):
            return problem
    suffix = body.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or len(suffix) > 64):
        return error(400, "suffix must be a string of at most 64 characters.", "suffix")
    return bad_hyperparameters(hyperparameters(body))


def _bad_file(
    body: dict[str, Any], key: str, files: dict[str, tuple[dict[str, Any], bytes]]
) -> web.Response | None:
    file_id = body.get(key)
    if key == "training_file" and not isinstance(file_id, str):
        return error(400, "Missing required parameter: 'training_file'.", key)
    if file_id is None:
        return None
    found = files.get(file_id)
    if found is None:
        return error(400, f"invalid {key}: {file_id}", key)
    if found[0]["purpose"] != "fine-tune":
        msg = f"File {file_id} has purpose '{found[0]['purpose']}', expected 'fine-tune'."
        return error(400, msg, key, "invalid_file_purpose")
    return None


def hyperparameters(body: dict[str, Any]) -> dict[str, Any]:
    method = body.get("method") or {}
    nested = (method.get("supervised") or {}).get("hyperparameters")
    found = nested if nested is not None else body.get("hyperparameters") or {}
    return dict(found) if isinstance(found, dict) else {}


def bad_hyperparameters(hyper: dict[str, Any]) -> web.Response | None:
    limits = {"n_epochs": (1, 50), "batch_size": (1, 256), "learning_rate_multiplier": (0.0, 10.0)}
    for name, value in hyper.items():
        if name not in limits:
            return error(400, f"Unrecognized hyperparameter: {name}", f"hyperparameters.{name}")
        low, high = limits[name]
        if value == "auto":
            continue
        if not isinstance(value, int | float) or isinstance(value, bool) or not low < value <= high:
            msg = f"Invalid value for hyperparameters.{name}: must be 'auto' or in ({low}, {high}]."
            return error(400, msg, f"hyperparameters.{name}")
    return None


def check_lines(data: bytes) -> tuple[str | None, int, int]:
    """(problem, examples, tokens) of a chat-format JSONL training file."""
    lines = [line for line in data.decode("utf-8", errors="replace").splitlines() if line.strip()]
    tokens = 0
    for number, line in enumerate(lines, 1):
        try:
            example = json.loads(line)
        except ValueError:
            return f"Invalid file format. Line {number} is not valid JSON.", 0, 0
        messages = example.get("messages") if isinstance(example, dict) else None
        if not isinstance(messages, list) or not messages:
            return f'Invalid file format. Line {number}, key "messages": missing.', 0, 0
        if messages[-1].get("role") != "assistant":
            return f"Invalid file format. Line {number}: no assistant message to learn from.", 0, 0
        tokens += sum(math.ceil(len(str(m.get("content", ""))) / 4) + 4 for m in messages)
    if len(lines) < MIN_EXAMPLES:
        msg = (
            f"Training file has {len(lines)} example(s), but must have at least "
            f"{MIN_EXAMPLES} examples"
        )
        return msg, 0, 0
    return None, len(lines), tokens
