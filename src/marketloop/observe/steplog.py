"""A step's own log: the structlog lines written while it runs (at INFO and above, whatever the
process's log level), kept in WORKSPACE/logs/RUN_ID/STEP.log, masked like every log line, for
the dashboard's run page.

    with steplog.capture(root, run_id, step, hold=True) as log:  # the runner, around an attempt
        ...                                               # every log line lands in the file too
        with steplog.later():                             # the runner's own lines: they may wait
            ...
    log.close()                                           # after the attempt's end is recorded
    text = steplog.tail(workspace_root, run_id, step)     # the last TAIL_BYTES of it

`tee` is the structlog processor that writes (observe/logging.py puts it after `redact`).
`prune` is the retention (`[runner] log_retention_days`): the worker's housekeeping removes
the logs of runs whose files were all last written before the cut-off, except active runs'.

The file is created (its folder too) at the first line that may not wait: a line of the step
itself, written at once as before. The runner's own lines ("step started", "step finished",
written inside `later()`) wait in memory until then, or until `open` (the heartbeat thread calls
it at its first beat, so a long step's log shows within `[runner] heartbeat` seconds), or until
`close`, which the runner calls once the attempt's end is recorded (engine.advance; it creates
the file if no line did): a step that says nothing itself costs no file system work before its
end is recorded. A worker killed (kill -9) before any of those loses only the runner's lines
that waited, whose content (the attempt, the worker, the status) the step's row holds too.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections.abc import Collection, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TextIO

#: how much of a log the dashboard shows (the end of it)
TAIL_BYTES = 64 * 1024
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
_sink: ContextVar[StepLog | None] = ContextVar("marketloop_step_log", default=None)
_later: ContextVar[bool] = ContextVar("marketloop_step_log_later", default=False)
#: keys every line of a step carries anyway (the file says which run and step)
_IMPLIED = {"event", "level", "timestamp", "run_id", "loop", "step"}


def log_path(root: Path, run_id: str, step: str) -> Path:
    """WORKSPACE/logs/RUN_ID/STEP.log; ValueError for a name that is not a plain file name."""
    if not NAME.match(run_id) or not NAME.match(step) or ".." in run_id + step:
        raise ValueError(f"not a run and step name: {run_id!r} {step!r}")
    return root / "logs" / run_id / f"{step}.log"


class StepLog:
    """One attempt's log file, created at its first line that may not wait (module docstring);
    thread-safe (the step's thread writes, the heartbeat thread may `open`). A file that cannot
    be created is left out, never a reason for the step to fail."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._out: TextIO | None = None
        self._waiting: list[str] = []
        self._lock = threading.Lock()

    def write(self, line: str, *, wait: bool = False) -> None:
        with self._lock:
            if self._out is None:
                if wait and self.path is not None:
                    self._waiting.append(line)
                    return
                self._open()
            if self._out is not None:
                self._out.write(line)

    def open(self) -> None:
        """Create the file now (if it is not yet) and write the lines that waited."""
        with self._lock:
            self._open()

    def close(self) -> None:
        """Create the file if it is not yet (an attempt that said nothing has an empty log),
        write what waited, and close it; lines after this are not kept."""
        with self._lock:
            self._open()
            if self._out is not None:
                self._out.close()
            self._out, self.path, self._waiting = None, None, []

    def _open(self) -> None:  # with the lock held
        if self._out is not None or self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("a", encoding="utf-8", buffering=1)
        except OSError:
            self.path, self._waiting = None, []
            return
        for line in self._waiting:
            self._out.write(line)
        self._waiting = []


@contextmanager
def capture(root: Path, run_id: str, step: str, *, hold: bool = False) -> Iterator[StepLog]:
    """Append the log lines of this context (this thread's, this task's) to the step's log,
    closed at the end of the context; with `hold`, the caller closes the log it yields
    (`StepLog.close`; the runner: once the attempt's end is recorded), which writes the lines
    that waited."""
    try:
        path: Path | None = log_path(root, run_id, step)
    except ValueError:
        path = None
    log = StepLog(path)
    token = _sink.set(log)
    try:
        yield log
    finally:
        _sink.reset(token)
        if not hold:
            log.close()


@contextmanager
def later() -> Iterator[None]:
    """The lines of this context may wait to be written (the runner's own: module docstring)."""
    token = _later.set(True)
    try:
        yield
    finally:
        _later.reset(token)


def capturing() -> bool:
    return _sink.get() is not None


def tee(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: one line per event into the step's log, when one is open."""
    out = _sink.get()
    if out is not None:
        extra = {k: v for k, v in event.items() if k not in _IMPLIED}
        fields = " ".join(f"{k}={json.dumps(v, default=str, ensure_ascii=False)}"
                          for k, v in extra.items())  # fmt: skip
        text = f"{event.get('timestamp', '')} {event.get('level', '')} {event.get('event', '')}"
        out.write(" ".join(f"{text} {fields}".split("\n")).rstrip() + "\n", wait=_later.get())
    return event


def tail(root: Path, run_id: str, step: str, limit: int = TAIL_BYTES) -> str | None:
    """The end of the step's log (None: it has none), whole lines, decoded leniently."""
    try:
        path = log_path(root, run_id, step)
        with path.open("rb") as raw:
            size = raw.seek(0, 2)
            raw.seek(max(0, size - limit))
            data = raw.read()
    except (OSError, ValueError):
        return None
    if size > limit:
        data = data.split(b"\n", 1)[-1]  # drop the cut line
    return data.decode("utf-8", "replace")


def prune(root: Path, days: float, keep: Collection[str] = (), at: float | None = None) -> int:
    """Remove WORKSPACE/logs/RUN folders none of whose files was written in the last `days`
    (at `at`, a Unix time; default now), except the runs in `keep` (still active: a run
    waiting at a gate for weeks keeps its logs). Returns how many run folders went; a folder
    that cannot be read or removed is left for the next pass, and anything that is not a
    run's folder (a stray file, a name `log_path` would refuse) is never touched."""
    cutoff = (time.time() if at is None else at) - days * 86_400
    pruned = 0
    try:
        runs = list((root / "logs").iterdir())
    except OSError:
        return 0
    for folder in runs:
        if not NAME.match(folder.name) or folder.name in keep or folder.is_symlink():
            continue
        try:
            if not folder.is_dir() or _newest(folder) >= cutoff:
                continue
            shutil.rmtree(folder)
        except OSError:
            continue
        pruned += 1
    return pruned


def _newest(folder: Path) -> float:
    """The latest modification time of the folder and the files in it."""
    return max([folder.stat().st_mtime, *(f.stat().st_mtime for f in folder.iterdir())])
