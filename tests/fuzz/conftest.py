"""Hypothesis profiles of the fuzzing harness: `ci` (the default, bounded so the whole harness
stays under two minutes) and `fuzz` (`make fuzz`: many more examples, no time limit)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    "derandomize": False,
    "print_blob": True,
}
settings.register_profile("ci", max_examples=6, **COMMON)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), **COMMON
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
