"""How long to wait before asking a service again: the parts every HTTP client shares.

    parse_retry_after   a Retry-After header (delay-seconds or an HTTP date, RFC 9110) → seconds
    backoff             `first` doubled per attempt, never more than `cap`

Each stage keeps its own policy on top: which answers are retried, how many times, whether a
server's wait is capped or refused, and any jitter (ingest/pacing.py, integrations/pacing.py,
content/llm/retry.py).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (0 when the moment has passed); None if absent or garbage."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if not math.isnan(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, says RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff(attempt: int, first: float, cap: float) -> float:
    """Seconds before retry number `attempt` (0-based): `first` * 2^attempt, at most `cap`."""
    return min(cap, first * 2.0**attempt)
