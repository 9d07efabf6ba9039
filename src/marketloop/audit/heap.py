"""Handing the memory that the C heap keeps after a big Python phase back to the system.

numpy's temporaries in the Python checks (near_duplicate's bands and candidate pairs, on two
threads) are freed into glibc's heaps, which keep most of them resident for reuse: at a
million pages the process stayed about 0.4 GB bigger after near_duplicate until the audit
ended (1,111 MB instead of 724 MB). glibc's `malloc_trim` returns the free pages to the
system (about a millisecond for a heap of 0.4 GB). Other C libraries (macOS, musl) have no
such call: `trim` does nothing there.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import cache


def trim() -> None:
    """Return the C heap's free pages to the system, where the C library can (glibc)."""
    release = _malloc_trim()
    if release is not None:
        release(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        function: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the process's own libc
    except (AttributeError, OSError):
        return None
    return function
