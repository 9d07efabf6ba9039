"""Last-used times and request counts of API keys, counted in memory and written in batches.

`count(key_id)` is a dict update on the request path; `flush()` writes what accumulated with one
UPDATE per key that was used, at most every `[api] usage_flush_seconds` (and at shutdown), so a
busy API does not write the app database on every request.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine

from marketloop.api.keys import record_usage
from marketloop.observe.logging import get_logger

log = get_logger(__name__)


class UsageRecorder:
    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self._pending: dict[int, tuple[int, datetime]] = {}
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def count(self, key_id: int) -> bool:
        """Count one request; True when a flush is due."""
        now = datetime.now(UTC)
        with self._lock:
            count, _ = self._pending.get(key_id, (0, now))
            self._pending[key_id] = (count + 1, now)
        return time.monotonic() - self._last_flush >= self.interval

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_flush = time.monotonic()
        if not pending:
            return
        try:
            record_usage(self.engine, pending)
        except Exception as exc:  # the next flush tries again with these counts added
            log.warning("could not record API key usage", error=type(exc).__name__)
            with self._lock:
                for key_id, (count, last) in pending.items():
                    more, newest = self._pending.get(key_id, (0, last))
                    self._pending[key_id] = (count + more, max(last, newest))
