"""Step log retention: `steplog.prune` removes the logs of runs last written before the cut-off,
never an active run's nor anything that is not a run's folder; the worker's housekeeping
runs it at its first tick and then hourly, with `[runner] log_retention_days` (0: never)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from marketloop.config import Settings, app_db_url
from marketloop.observe import steplog
from marketloop.runner import service
from marketloop.runner.model import Loop
from marketloop.runner.store import Store
from marketloop.runner.worker import Scheduler

DAY = 86_400.0


def _run_logs(root: Path, run_id: str, age_days: float, *steps: str) -> Path:
    folder = root / "logs" / run_id
    folder.mkdir(parents=True)
    when = time.time() - age_days * DAY
    for step in steps:
        (folder / f"{step}.log").write_text(f"{step} <script>'\"& [/]\n")
        os.utime(folder / f"{step}.log", (when, when))
    os.utime(folder, (when, when))
    return folder


def test_prune_removes_only_old_runs_not_kept_ones(tmp_path: Path) -> None:
    old = _run_logs(tmp_path, "r-old", 40, "a", "b")
    fresh = _run_logs(tmp_path, "r-fresh", 1, "a")
    gated = _run_logs(tmp_path, "r-gated", 90, "a")  # active: waits at a gate for weeks
    mixed = _run_logs(tmp_path, "r-mixed", 40, "a")
    (mixed / "b.log").write_text("a retry wrote today\n")
    stray = tmp_path / "logs" / "notes.txt"
    stray.write_text("an operator's file")
    os.utime(stray, (0, 0))
    outside = _run_logs(tmp_path / "elsewhere", "r-out", 90, "a")
    (tmp_path / "logs" / "r-link").symlink_to(outside)
    assert steplog.prune(tmp_path, 30, keep={"r-gated"}) == 1
    assert not old.exists()
    assert fresh.is_dir() and gated.is_dir() and mixed.is_dir() and stray.is_file()
    assert (outside / "a.log").is_file()  # a symlink is never followed out of the workspace
    assert steplog.prune(tmp_path, 30, keep={"r-gated"}) == 0  # nothing more to do
    assert steplog.prune(tmp_path, 0.5, at=time.time() + 2 * DAY) == 3  # later, shorter
    assert steplog.prune(tmp_path / "no-workspace", 30) == 0


def test_the_worker_keeps_house_once_an_hour(
    settings: Settings, make_loop: Callable[..., Loop], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(settings.workspace)
    active = service.start_run(settings, make_loop("  a: {action: noop}\n"))  # queued
    _run_logs(root, active.run_id, 60, "a")
    _run_logs(root, "r-old", 60, "a")
    scheduler = Scheduler(settings, Store(app_db_url(settings)), [])
    scheduler.housekeep()
    assert sorted(p.name for p in (root / "logs").iterdir()) == [active.run_id]
    _run_logs(root, "r-old-2", 60, "a")
    scheduler.housekeep()  # within the hour: not again
    assert (root / "logs" / "r-old-2").is_dir()
    clock = time.monotonic() + 3601
    monkeypatch.setattr("marketloop.runner.worker.time.monotonic", lambda: clock)
    scheduler.housekeep()
    assert not (root / "logs" / "r-old-2").exists()


def test_zero_days_keeps_every_log(settings: Settings) -> None:
    forever = settings.model_copy(
        update={"runner": settings.runner.model_copy(update={"log_retention_days": 0})}
    )
    old = _run_logs(Path(settings.workspace), "r-old", 3650, "a")
    Scheduler(forever, Store(app_db_url(settings)), []).housekeep()
    assert old.is_dir()
