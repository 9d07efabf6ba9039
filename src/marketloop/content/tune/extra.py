"""The `tune` extra behind one guarded import: torch, transformers and peft (in-house
fine-tuning and serving), wandb (experiment tracking)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from marketloop.errors import ContentError

HINT = "pip install 'marketloop[tune]'"


def require_tune() -> tuple[Any, Any, Any]:
    """(torch, transformers, peft), or a ContentError naming the extra to install."""
    try:
        import peft
        import torch
        import transformers
    except ImportError as exc:
        raise ContentError(
            f"local fine-tuning needs the tune extra ({exc.name} is missing)", hint=HINT
        ) from None
    return torch, transformers, peft


def require_wandb() -> Any:
    try:
        import wandb
    except ImportError:
        raise ContentError("tracking in Weights & Biases needs the tune extra", hint=HINT) from None
    return wandb


@contextmanager
def quiet_peft() -> Iterator[None]:
    """peft still reads a name transformers 5 deprecates; its FutureWarning is not ours."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*is_gradient_checkpointing", category=FutureWarning
        )
        yield
