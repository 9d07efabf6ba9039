"""Heartbeats of the steps running in this process, and their cancellation.

One daemon thread per process writes `heartbeat_at` of every running step (so the sweeper of
any worker can tell a dead worker's step from a slow one), sets a step's stop event when its
run is cancelled, and opens a running step's log (the runner's lines that waited are written).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from marketloop.observe.steplog import StepLog
    from marketloop.runner.store import Store

Key = tuple[str, str, int]  # run id, step, attempt
log = structlog.get_logger("marketloop.runner")


class Heartbeats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: dict[Key, tuple[Store, threading.Event, StepLog | None]] = {}
        self._interval = 2.0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(
        self,
        store: Store,
        key: Key,
        stop: threading.Event,
        interval: float,
        log: StepLog | None = None,
    ) -> None:
        """Beat for `key` until `forget`; at the first beat, `log` (the step's) is opened and
        the runner's lines that waited are written (observe/steplog.py)."""
        with self._lock:
            self._steps[key] = (store, stop, log)
            self._interval = min(self._interval, interval)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._beat, name="heartbeats", daemon=True)
                self._thread.start()

    def forget(self, key: Key) -> None:
        with self._lock:
            self._steps.pop(key, None)

    def _beat(self) -> None:
        while True:
            self._wake.wait(self._interval)
            with self._lock:
                watched = dict(self._steps)
            by_store: dict[int, tuple[Store, list[Key]]] = {}
            for key, (store, _, step_log) in watched.items():
                if step_log is not None:
                    step_log.open()  # a step running this long: its log shows, and is kept
                by_store.setdefault(id(store), (store, []))[1].append(key)
            for store, keys in by_store.values():
                try:
                    store.heartbeat(keys)
                    for key in keys:
                        if store.run(key[0]).status == "cancelled":
                            watched[key][1].set()
                except Exception as exc:  # the database is away: try again next beat
                    log.warning("heartbeat failed", error=str(exc))


HEARTBEATS = Heartbeats()
