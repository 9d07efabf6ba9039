"""How long to wait before trying an LLM call again: what the server says, else backoff
(the Retry-After parsing and the backoff are marketloop.retry's, shared with every client)."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping

from marketloop import retry


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms`, `retry-after` (seconds or a date), or
    `x-ratelimit-reset-requests` (`1s`, `20ms`, `6m0s`)."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    if (seconds := retry.parse_retry_after(headers.get("retry-after"))) is not None:
        return seconds
    return _duration(headers.get("x-ratelimit-reset-requests", ""))


def _duration(text: str) -> float | None:
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    if not parts:
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[unit] for n, unit in parts)


def backoff(attempt: int, first: float, longest: float) -> float:
    """`first` doubled per attempt, capped at `longest`, with jitter (50–100%)."""
    jitter = random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not cryptography)
    return retry.backoff(attempt, first, longest) * jitter
