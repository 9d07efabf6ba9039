"""Heartbeats of the steps running in this process, and their cancellation.

One daemon thread per process writes `heartbeat_at` of every running step (so the sweeper of
any worker can tell a dead worker's step from a slow one) and sets a step's stop event when its
run is cancelled.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from marketloop.runner.store import Store

Key = tuple[str, str, int]  # run id, step, attempt
log = structlog.get_logger("marketloop.runner")


class Heartbeats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: dict[Key, tuple[Store, threading.Event]] = {}
        self._interval = 2.0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, store: Store, key: Key, stop: threading.Event, interval: float) -> None:
        with self._lock:
            self._steps[key] = (store, stop)
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
            for key, (store, _) in watched.items():
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
