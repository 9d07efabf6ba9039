"""How long to wait before trying an LLM call again: what the server says, else backoff."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms`, `retry-after` (seconds or a date), or
    `x-ratelimit-reset-requests` (`1s`, `20ms`, `6m0s`)."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    if (value := headers.get("retry-after")) is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    return _duration(headers.get("x-ratelimit-reset-requests", ""))


def _duration(text: str) -> float | None:
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    if not parts:
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[unit] for n, unit in parts)


def backoff(attempt: int, first: float, longest: float) -> float:
    """`first` doubled per attempt, capped at `longest`, with jitter (50–100%)."""
    base = min(longest, first * 2.0**attempt)
    return base * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not cryptography)
