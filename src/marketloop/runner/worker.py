"""`marketloop worker`: the Huey consumer, and in the same process the scheduler and sweeper.

Every `tick` seconds the worker
- fires the schedules of its loop files: a slot that passed since the last one fired starts a
  run (once, whichever worker claims the slot first; a slot missed while no worker ran fires
  once), unless a scheduled run of that loop is still queued or running;
- sweeps: a running step whose heartbeat is older than `lease` belonged to a dead worker (kill
  -9, a lost machine): it goes back to pending and is enqueued again; a ready step whose task
  was lost (enqueued long ago, never started) is enqueued again. Duplicates are harmless: a
  step starts only by winning pending → running;
- keeps house, once an hour: step logs older than `[runner] log_retention_days` are removed
  (observe/steplog.py `prune`; the logs of active runs are kept).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog

from marketloop.config import Settings
from marketloop.observe import steplog
from marketloop.observe.keycheck import metrics_check
from marketloop.observe.metrics import serve_metrics
from marketloop.runner import schedule as cron
from marketloop.runner.loopfile import LoopFileError, load_loop
from marketloop.runner.model import Loop, Schedule
from marketloop.runner.queue import Dispatcher, make_huey
from marketloop.runner.slots import Slots
from marketloop.runner.store import Store, now

log = structlog.get_logger("marketloop.runner")

#: Huey consumer options: threads; an idle thread polls SQLite after 2 ms, backing off to 250 ms
#: (Redis blocks on the queue instead); retries are timed by Huey's scheduler every second
CONSUMER: dict[str, Any] = {
    "worker_type": "thread",
    "initial_delay": 0.002,
    "backoff": 1.3,
    "max_delay": 0.25,
    "scheduler_interval": 1,
    "periodic": False,
}
HOUSEKEEPING = 3600.0  # seconds between housekeeping passes of a worker


class Scheduler:
    def __init__(self, settings: Settings, store: Store, loops: list[Path]) -> None:
        self.settings = settings
        self.store = store
        self.slots = Slots(store)
        self.swept = 0.0  # when the last pass over every active run was made (monotonic)
        self.kept: float | None = None  # when house was last kept (monotonic)
        self.loops = loops
        self.dispatcher = Dispatcher(settings, store)

    def tick(self) -> None:
        for path in self.loops:
            try:
                loop = load_loop(path)
            except LoopFileError as exc:  # an edit in progress: keep the others running
                log.error("loop file refused", path=str(path), error=exc.message)
                continue
            self.fire(loop)
        self.sweep()
        self.housekeep()

    def housekeep(self) -> None:
        """Once every HOUSEKEEPING seconds (and at the first tick): prune old step logs."""
        if self.kept is not None and time.monotonic() - self.kept < HOUSEKEEPING:
            return
        self.kept = time.monotonic()
        days = self.settings.runner.log_retention_days
        if days <= 0:
            return
        active = {run.id for run in self.store.active_runs()}
        pruned = steplog.prune(Path(self.settings.workspace), days, keep=active)
        if pruned:
            log.info("step logs pruned", runs=pruned, older_than_days=days)

    def fire(self, loop: Loop) -> None:
        from marketloop.runner.service import start_run

        moment = now()
        wanted: list[tuple[str, Schedule]] = []
        if loop.schedule is not None:
            wanted.append(("", loop.schedule))
        wanted += [(n, s.schedule) for n, s in loop.steps.items() if s.schedule is not None]
        for step, sched in wanted:
            last = self.slots.last(loop.name, step, sched.cron, sched.timezone)
            slot = cron.due(sched, last, moment)
            if last is None:  # first sight of this schedule: count from now
                self.slots.claim(
                    loop.name,
                    step,
                    sched.cron,
                    sched.timezone,
                    None,
                    cron.latest_slot(sched, moment),
                )
                continue
            if slot is None:
                continue
            if not self.slots.claim(loop.name, step, sched.cron, sched.timezone, last, slot):
                continue  # another worker fired it
            trigger = f"schedule:{step}" if step else "schedule"
            if self.store.active_runs(loop.name, trigger):
                log.warning("schedule skipped: a scheduled run is still going", loop=loop.name)
                continue
            scheduled = loop if step else _without_own_schedules(loop)
            start_run(self.settings, scheduled, step or None, trigger=trigger)
            log.info("schedule fired", loop=loop.name, step=step, slot=slot.isoformat())

    def sweep(self) -> None:
        """Take over the steps of dead workers at once; look for lost tasks every 3 leases
        (a pass over every active run)."""
        lease = self.settings.runner.lease
        for row in self.store.stale_steps(now() - timedelta(seconds=lease)):
            if self.store.move_step(
                row.run_id,
                row.name,
                "pending",
                from_=["running"],
                attempt=row.attempts,
                enqueued_at=None,
                error=f"worker {row.worker} lost; running again",
            ):
                log.warning("step taken over", run_id=row.run_id, step=row.name, worker=row.worker)
                self.dispatcher.advance(row.run_id)
        if time.monotonic() - self.swept < 3 * lease:
            return
        self.swept = time.monotonic()
        for run in self.store.active_runs():
            self.dispatcher.advance(run.id, redispatch_after=3 * lease)

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # the database or queue is away: try again next tick
                log.error("scheduler tick failed", error=str(exc))
            stop.wait(self.settings.runner.tick)


def _without_own_schedules(loop: Loop) -> Loop:
    """The loop's scheduled run: the steps that have their own schedule run on it instead."""
    own = set(loop.scheduled_steps())
    steps = {
        name: step.model_copy(update={"needs": [n for n in step.needs if n not in own]})
        for name, step in loop.steps.items()
        if name not in own
    }
    return loop.model_copy(update={"steps": steps}) if own and steps else loop


def run_worker(settings: Settings, loops: list[Path], threads: int) -> None:
    """Consume the queue with `threads` threads and schedule `loops` until SIGINT/SIGTERM."""
    huey, _ = make_huey(settings)
    store = Store(_app_db(settings))
    port = settings.observe.metrics_port
    if port is not None:
        bound = serve_metrics(settings.observe.metrics_host, port, metrics_check(settings))
        log.info("metrics served", url=f"http://{settings.observe.metrics_host}:{bound}/metrics")
    scheduler = Scheduler(settings, store, loops)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run_forever, args=(stop,), daemon=True)
    thread.start()
    consumer = huey.create_consumer(workers=threads, **CONSUMER)
    try:
        consumer.run()
    finally:
        stop.set()
        thread.join(timeout=5)


def _app_db(settings: Settings) -> str:
    from marketloop.config import app_db_url

    return app_db_url(settings)
