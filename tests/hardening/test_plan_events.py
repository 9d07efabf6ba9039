"""Defects 2 and 3 of issue 14 (plan): every event is checked before it is appended, a stored
event can never make the log unreadable, a mistake is taken back by a `retract` event shown
in the memo, and a moment outside the plan's window is a usage error naming the window."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.hostile import run
from tests.plan.conftest import EXAMPLE

from marketloop.appdb import open_app_db
from marketloop.plan.events import Event
from marketloop.plan.store import EventLog

PLAN_ID = "PRJ-AIML-002"


@pytest.fixture
def plan(tmp_path: Path):  # type: ignore[no-untyped-def]
    def invoke(*args: str) -> tuple[int, str, str]:
        outcome = run("plan", *args, "--plan", str(EXAMPLE), "-w", str(tmp_path))
        return outcome.code, outcome.stdout, outcome.stderr

    return invoke


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_a_huge_slip_is_refused_and_nothing_recorded(plan, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = plan("slip", "day3", "--days", "99999999999", "--reason", "typo")
    assert code == 2 and "less than or equal to 260" in " ".join(err.split())
    code, out, _ = plan("log", "--format", "json")
    assert code == 0 and out.strip() == "[]"


def test_slips_that_push_the_end_out_of_the_window_are_refused(plan) -> None:  # type: ignore[no-untyped-def]
    at = ("--at", "2026-12-03T10:00")
    code, _, err = plan("slip", "day3", "--days", "260", "--reason", "a", *at)
    assert code == 0, err
    code, _, err = plan("slip", "day3", "--days", "260", "--reason", "b", *at)
    assert code == 3 and "beyond" in err and "nothing recorded" in err
    code, out, _ = plan("log", "--format", "csv")
    assert len(_lines(out)) == 2  # the header and the first slip only


def test_a_poisoned_log_stays_readable_and_a_retraction_corrects_it(  # type: ignore[no-untyped-def]
    plan, tmp_path: Path
) -> None:
    code, _, _ = plan("status", "--at", "2026-12-03T09:00")  # creates the app database
    engine = open_app_db(f"sqlite:///{tmp_path / 'app.db'}")
    at = datetime(2026, 12, 3, 10, tzinfo=ZoneInfo("America/Los_Angeles"))
    # what an older release let through: the log held it, and every command then overflowed
    bad = EventLog(engine, PLAN_ID).append(
        Event("slip", at, "day3", {"days": 99999999999, "reason": "typo"})
    )
    for command in ("show", "status", "memo", "export", "escalations", "triage"):
        code, _, err = plan(command, "--at", "2026-12-04T09:00")
        assert code == 0, (command, err)
    code, out, err = plan("retract", str(bad.seq), "--reason", "typed 99999999999 for 2",
                          "--at", "2026-12-03T11:00")  # fmt: skip
    assert code == 0 and f"event {bad.seq}" in err, err
    code, out, _ = plan("memo", "--at", "2026-12-04T09:00")
    assert "## Corrections" in out
    assert f"event {bad.seq} (slip day3) retracted: typed 99999999999 for 2" in out
    code, _, err = plan("retract", str(bad.seq), "--reason", "again")
    assert code == 3 and "already retracted" in err
    code, _, err = plan("retract", "424242", "--reason", "no such")
    assert code == 3 and "no event 424242" in err


def test_a_retracted_slip_no_longer_moves_the_schedule(plan) -> None:  # type: ignore[no-untyped-def]
    _, before, _ = plan("show", "--format", "json", "--at", "2026-12-04T09:00")
    plan("slip", "day3", "--days", "3", "--reason", "oops", "--at", "2026-12-03T10:00")
    _, slipped, _ = plan("show", "--format", "json", "--at", "2026-12-04T09:00")
    assert slipped != before
    _, log, _ = plan("log", "--format", "json")
    event_id = __import__("json").loads(log)[0]["id"]
    plan("retract", str(event_id), "--reason", "wrong task", "--at", "2026-12-03T12:00")
    _, after, _ = plan("show", "--format", "json", "--at", "2026-12-04T09:00")
    assert after == before
    _, past, _ = plan("show", "--format", "json", "--at", "2026-12-03T11:00")
    assert past != before  # history is kept: before the retraction, the slip was in force


@pytest.mark.parametrize("command", ["show", "status", "export", "memo", "done day3"])
@pytest.mark.parametrize("at", ["9999-12-31", "0001-01-01", "2031-01-01T00:00+14:00"])
def test_moments_outside_the_window_are_usage_errors(plan, command: str, at: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = plan(*command.split(), "--at", at)
    assert code == 2, err
    assert "outside plan PRJ-AIML-002's window" in err and "2025-" in err and "2027-" in err
    assert len(_lines(err)) <= 2  # error and hint


def test_a_reason_of_a_megabyte_is_refused(plan) -> None:  # type: ignore[no-untyped-def]
    code, _, err = plan("block", "day3", "--reason", "x" * 1_000_000)
    assert code == 2 and "at most 2000 characters" in err


def test_the_retract_and_acknowledge_migrations_keep_the_log_append_only(tmp_path: Path) -> None:
    engine = open_app_db(f"sqlite:///{tmp_path / 'app.db'}")
    at = datetime(2026, 12, 3, 10, tzinfo=ZoneInfo("UTC"))
    log = EventLog(engine, PLAN_ID)
    first = log.append(Event("done", at, "day1"))
    log.append(Event("retract", at, "day1", {"event": first.seq, "reason": "r"}))
    log.append(Event("acknowledge", at, "day1", {"key": "day1|1|r", "by": "sam"}))
    with sqlite3.connect(tmp_path / "app.db") as db:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM plan_events")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            db.execute(
                "INSERT INTO plan_events (plan_id, kind, effective_at, recorded_at, actor, data)"
                " VALUES ('x', 'bogus', '2026-01-01', '2026-01-01', 'me', '{}')"
            )


@pytest.mark.parametrize(
    ("old", "new"),
    [("start: 2026-12-07", "start: 9999-12-31"), ("{id: day8, day: 8", "{id: day8, day: 99999999")],
)
def test_a_plan_far_out_of_range_is_refused_when_loaded(tmp_path: Path, old: str, new: str) -> None:
    from tests.plan.conftest import CASES

    text = (CASES / "minimal.yaml").read_text()
    assert old in text
    plan = tmp_path / "plan.yaml"
    plan.write_text(text.replace(old, new))
    outcome = run("plan", "show", "--plan", str(plan), "-w", str(tmp_path / "ws"))
    assert outcome.code in (2, 3) and len(outcome.error_lines) == 1, outcome.stderr
    assert "less than or equal" in outcome.stderr
