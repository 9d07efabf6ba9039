"""Opportunity: the clicks a keyword would gain by reaching the target position, per unit of
difficulty, normalised to 0-10 across one run.

    raw = volume × (CTR(target) − CTR(current)) ÷ difficulty

CTR comes from a configurable curve (positions 1..N; beyond N it is 0, fractional positions are
interpolated). A keyword the site does not rank for has CTR 0 now; one already at or above the
target gains nothing. Missing difficulty defaults to a setting; difficulty is floored at
`min_difficulty` (5 by default): tools report 0 for keywords they know little about, and
dividing by 0–1 would put those above everything else.

Normalisation to 0-10 is relative to the run's best value, so it does not depend on the units
of volume or difficulty. `log` (the default) spreads the top three orders of magnitude
(`LOG_RANGE`) over 0-10: volumes span orders of magnitude, and a linear scale puts nearly every
cluster near 0 behind one giant; the price is compression at the top (a cluster with a tenth
of the best value still scores about 6.7). `linear` keeps ratios (a tenth of the best scores 1).
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


LOG_RANGE = 1000.0  # the log scale spans values from the best down to a thousandth of it


def raw_opportunity(
    record: KeywordRecord,
    *,
    curve: Sequence[float],
    target: float,
    default_difficulty: float,
    min_difficulty: float = 5.0,
) -> float:
    gain = ctr_at(target, curve) - ctr_at(record.position, curve)
    known = record.difficulty if record.difficulty is not None else default_difficulty
    difficulty = max(min_difficulty, known, 1e-9)
    return max(0.0, record.volume * gain / difficulty)


def normalise(values: Sequence[float], scale: Literal["log", "linear"] = "log") -> list[float]:
    """Map raw values onto 0-10, the largest of the run at 10; unit-free (see the module
    docstring for the log/linear trade-off)."""
    top = max(values, default=0.0)
    if top <= 0:
        return [0.0 for _ in values]
    if scale == "linear":
        return [round(10 * v / top, 2) for v in values]
    return [round(10 * math.log1p(LOG_RANGE * v / top) / math.log1p(LOG_RANGE), 2) for v in values]
