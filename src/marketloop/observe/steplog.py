"""A step's own log: the structlog lines written while it runs (at INFO and above, whatever the
process's log level), kept in WORKSPACE/logs/RUN_ID/STEP.log, masked like every log line, for
the dashboard's run page.

    with steplog.capture(workspace_root, run_id, step):   # the runner, around one attempt
        ...                                               # every log line lands in the file too
    text = steplog.tail(workspace_root, run_id, step)     # the last TAIL_BYTES of it

`tee` is the structlog processor that writes (observe/logging.py puts it after `redact`).
`prune` is the retention (`[runner] log_retention_days`): the worker's housekeeping removes
the logs of runs whose files were all last written before the cut-off, except active runs'.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Collection, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TextIO

#: how much of a log the dashboard shows (the end of it)
TAIL_BYTES = 64 * 1024
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
_sink: ContextVar[TextIO | None] = ContextVar("marketloop_step_log", default=None)
#: keys every line of a step carries anyway (the file says which run and step)
_IMPLIED = {"event", "level", "timestamp", "run_id", "loop", "step"}


def log_path(root: Path, run_id: str, step: str) -> Path:
    """WORKSPACE/logs/RUN_ID/STEP.log; ValueError for a name that is not a plain file name."""
    if not NAME.match(run_id) or not NAME.match(step) or ".." in run_id + step:
        raise ValueError(f"not a run and step name: {run_id!r} {step!r}")
    return root / "logs" / run_id / f"{step}.log"


@contextmanager
def capture(root: Path, run_id: str, step: str) -> Iterator[None]:
    """Append the log lines of this context (this thread's, this task's) to the step's log;
    a log that cannot be opened is left out, never a reason for the step to fail."""
    try:
        path = log_path(root, run_id, step)
        path.parent.mkdir(parents=True, exist_ok=True)
        out = path.open("a", encoding="utf-8", buffering=1)
    except (OSError, ValueError):
        yield
        return
    token = _sink.set(out)
    try:
        yield
    finally:
        _sink.reset(token)
        out.close()


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
        out.write(" ".join(f"{text} {fields}".split("\n")).rstrip() + "\n")
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
