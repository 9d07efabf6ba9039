"""Opportunity: the clicks a keyword would gain by reaching the target position, per unit of
difficulty, normalised to 0-10 across one run.

    raw = volume × (CTR(target) − CTR(current)) ÷ difficulty

CTR comes from a configurable curve (positions 1..N; beyond N it is 0, fractional positions are
interpolated). A keyword the site does not rank for has CTR 0 now; one already at or above the
target gains nothing. Missing difficulty defaults to a setting; difficulty is floored at 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from marketloop.keywords.model import KeywordRecord


def ctr_at(position: float | None, curve: Sequence[float]) -> float:
    """Expected organic CTR at `position` (1-based); 0 when unranked or beyond the curve."""
    if position is None or position < 1 or position > len(curve):
        return 0.0
    low = int(position)
    high = min(low + 1, len(curve))
    fraction = position - low
    return curve[low - 1] * (1 - fraction) + curve[high - 1] * fraction


def raw_opportunity(
    record: KeywordRecord, *, curve: Sequence[float], target: float, default_difficulty: float
) -> float:
    gain = ctr_at(target, curve) - ctr_at(record.position, curve)
    difficulty = max(
        1.0, record.difficulty if record.difficulty is not None else default_difficulty
    )
    return max(0.0, record.volume * gain / difficulty)


def normalise(values: Sequence[float], scale: Literal["log", "linear"] = "log") -> list[float]:
    """Map raw values onto 0-10, the largest of the run at 10 (log1p scale by default, since
    volumes span orders of magnitude and a linear scale would put nearly everything near 0)."""
    top = max(values, default=0.0)
    if top <= 0:
        return [0.0 for _ in values]
    if scale == "linear":
        return [round(10 * v / top, 2) for v in values]
    return [round(10 * math.log1p(v) / math.log1p(top), 2) for v in values]
