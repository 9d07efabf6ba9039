"""The `plan` command group: JSON shapes, recording, errors, the memo, the calendar export."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from tests.hostile import HTML, assert_html_inert
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.errors import ConfigError, PlanError

from .conftest import EXAMPLE


@pytest.fixture
def run(cli: CliRunner, tmp_path: Path):  # type: ignore[no-untyped-def]
    def invoke(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        result = cli.invoke(
            app, ["plan", *args, "--plan", str(EXAMPLE), "-w", str(tmp_path / "ws")]
        )
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return invoke


def test_escalations_json_is_a_list_of_task_to_channel_reason(run) -> None:  # type: ignore[no-untyped-def]
    for n in (1, 2, 3, 4, 5, 7, 8, 9):
        run("done", f"day{n}", "--at", f"2026-12-0{n}T16:00")
    run("slip", "day10", "--days", "2", "--reason", "vault access", "--at", "2026-12-10T10:00")
    escalations = json.loads(
        run("escalations", "--format", "json", "--at", "2026-12-10T12:00").stdout
    )
    assert isinstance(escalations, list) and len(escalations) == 1
    first = escalations[0]
    assert {"task", "to", "channel", "reason"} <= set(first)
    assert (first["task"], first["to"], first["channel"]) == (
        "day10", "Executive Sponsor", "slack:@alex.rivera"
    )  # fmt: skip
    assert "slipped 2 business days" in first["reason"]
    before = json.loads(run("escalations", "--format", "json", "--at", "2026-12-10T09:00").stdout)
    assert before == []


def test_ack_records_who_and_the_escalation_shows_it(run) -> None:  # type: ignore[no-untyped-def]
    import getpass

    for n in (1, 2, 3, 4, 5, 7, 8, 9):
        run("done", f"day{n}", "--at", f"2026-12-0{n}T16:00")
    run("slip", "day10", "--days", "2", "--reason", "vault access", "--at", "2026-12-10T10:00")
    at = ("--at", "2026-12-10T12:00")
    [row] = json.loads(run("escalations", "--format", "json", *at).stdout)
    assert len(row["id"]) == 8 and row["acknowledged_by"] is None
    recorded = json.loads(run("ack", row["id"][:4], "--format", "json", *at).stdout)
    event = recorded["event"]
    assert event["kind"] == "acknowledge" and event["task"] == "day10"
    assert event["data"]["by"] == getpass.getuser() and event["data"]["id"].startswith(row["id"])
    [row] = json.loads(run("escalations", "--format", "json", *at).stdout)
    assert row["acknowledged_by"] == getpass.getuser() and row["acknowledged_at"]
    assert "acknowledge" in run("log", "--format", "csv").stdout


def test_show_and_status_json(run) -> None:  # type: ignore[no-untyped-def]
    rows = json.loads(run("show", "--format", "json", "--at", "2026-12-01").stdout)
    assert [r["task"] for r in rows] == [f"day{n}" for n in range(1, 22)]
    assert {"baseline", "forecast", "slack", "critical", "owner", "status"} <= set(rows[0])
    assert rows[0]["baseline"] == "2026-12-01" and rows[5]["status"].startswith("buffer")
    status = json.loads(run("status", "--format", "json", "--at", "2026-12-01T10:00").stdout)
    assert status["sprint_day"] == 1 and status["phase"] == "Discovery & Intake"
    assert status["critical_path"][-1] == "day21" and status["rebaseline"]["due"] is False
    assert status["at"].endswith("-08:00")  # read in the plan's time zone


def test_show_table_draws_the_gantt(run) -> None:  # type: ignore[no-untyped-def]
    out = run("show", "--at", "2026-12-01").stdout
    assert "critical path: day14 → day15" in out and "▒" in out and "█" in out


def test_recording_errors_name_the_task_and_what_to_do(run) -> None:  # type: ignore[no-untyped-def]
    run("done", "day1", "--at", "2026-12-01T16:00")
    result = run("slip", "day1", "--days", "1", "--reason", "x", "--at", "2026-12-02", ok=False)
    assert isinstance(result.exception, PlanError) and "it was done" in str(result.exception)
    result = run("block", "day99", "--reason", "x", ok=False)
    assert isinstance(result.exception, PlanError) and "no such task" in str(result.exception)
    result = run("status", "--at", "next tuesday", ok=False)
    assert isinstance(result.exception, ConfigError)
    result = run("rebaseline", "--reason", "x", "--at", "2026-12-02", ok=False)
    assert isinstance(result.exception, PlanError) and "no re-baseline" in str(result.exception)


def test_block_and_weekend_escalation_through_the_cli(run) -> None:  # type: ignore[no-untyped-def]
    run("block", "day13", "--reason", "QA env down", "--at", "2026-12-13T10:00")
    late = json.loads(run("escalations", "-f", "json", "--at", "2026-12-13T14:30").stdout)
    assert {(e["task"], e["to"]) for e in late} >= {
        ("day13", "Project Lead"), ("day13", "Executive Sponsor")
    }  # fmt: skip


def test_notify_sends_each_escalation_once(run) -> None:  # type: ignore[no-untyped-def]
    run("block", "day6", "--reason", "connector down", "--at", "2026-12-06T10:00")
    first = run("escalations", "--notify", "--at", "2026-12-06T10:30").output
    sent = int(re.search(r"sent (\d+) escalation\(s\) via console; 0 already sent", first)[1])  # type: ignore[index]
    assert sent >= 1 and "connector down" in first
    again = run("escalations", "--notify", "--at", "2026-12-06T11:00").output
    assert f"sent 0 escalation(s) via console; {sent} already sent" in again


def test_memo_writes_markdown_and_a_self_contained_html_report(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("slip", "day14", "--days", "2", "--reason", HTML, "--at", "2026-12-01T10:00")
    result = run("memo", "--at", "2026-12-01T17:00")
    assert result.stdout.startswith("# AI Marketing Automation Sprint: status memo")
    for section in (
        "## Variance against the baseline",
        "## Escalations",
        "## Decisions needed",
        "## Next week",
    ):
        assert section in result.stdout
    assert "| day14 |" in result.stdout
    html = (tmp_path / "ws" / "reports" / "plan-memo-PRJ-AIML-002-2026-12-01.html").read_text()
    assert "<svg" in html and "Executive Sponsor" in html
    assert_html_inert(html)  # the slip's hostile reason is shown as text


def test_export_ics_is_valid_rfc5545(run) -> None:  # type: ignore[no-untyped-def]
    raw = run("export", "--format", "ics", "--at", "2026-12-01").stdout_bytes
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)  # folded at 75 octets
    unfolded = re.sub(rb"\r\n[ \t]", b"", raw).decode()
    assert unfolded.startswith("BEGIN:VCALENDAR") and "VERSION:2.0" in unfolded
    assert "DTSTART;TZID=America/Los_Angeles:20261201T090000" in unfolded
    assert re.search(r"RRULE:FREQ=WEEKLY;UNTIL=\d{8}T\d{6}Z;BYDAY=MO,TU,WE,TH,FR,SA\r", unfolded)
    assert "RRULE:FREQ=WEEKLY;UNTIL=" in unfolded and "BYDAY=SU" in unfolded  # weekend check-in
    assert "DTSTART;VALUE=DATE:20261203" in unfolded
    assert "\\, " in unfolded  # commas in text are escaped
    calendar = Calendar.from_ical(raw)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]
    events = calendar.walk("VEVENT")
    assert len([e for e in events if str(e["SUMMARY"]).startswith("Due: ")]) == 18
    assert len({str(e["UID"]) for e in events}) == len(events) == 21
    day3 = next(e for e in events if str(e["SUMMARY"]).startswith("Due: day3 "))
    assert "API keys" not in str(day3["DESCRIPTION"]) and "Airbyte connectors" in str(
        day3["DESCRIPTION"]
    )


def test_export_csv_expands_every_occurrence(run) -> None:  # type: ignore[no-untyped-def]
    lines = run("export", "--format", "csv", "--at", "2026-12-01").stdout.splitlines()
    assert lines[0] == "kind,date,start,end,title,task,owner,channel,timezone"
    standups = [line for line in lines if "Daily stand-up" in line]
    assert len(standups) == 18  # business days from Tue Dec 1 to Mon Dec 21
    assert sum(line.startswith("due,") for line in lines) == 18


def test_recording_commands_emit_the_event_and_its_consequences_as_json(run) -> None:  # type: ignore[no-untyped-def]
    done = json.loads(run("done", "day1", "-f", "json", "--at", "2026-12-01T16:00").stdout)
    assert done["event"]["kind"] == "done" and done["event"]["task"] == "day1"
    first = json.loads(
        run("slip", "day18", "--days", "1", "-r", "x", "-f", "json", "--at", "2026-12-02").stdout
    )
    assert first["event"]["data"] == {"days": 1, "reason": "x"}
    effects = first["consequences"]
    assert [(p["task"], p["to"]) for p in effects["pushes"]] == [("day19", "2026-12-20")]
    assert {m["task"] for m in effects["moved"]} == {"day18", "day19"}
    assert [e["task"] for e in effects["new_escalations"]] == ["day18"]
    assert effects["rebaseline"]["due"] is False and effects["end"]["after"] == "2026-12-21"
    second = json.loads(
        run("slip", "day14", "--days", "1", "-r", "y", "-f", "json", "--at", "2026-12-02").stdout
    )
    assert second["consequences"]["rebaseline"]["due"] is True
    assert [e["task"] for e in second["consequences"]["new_escalations"]] == ["day14"]
    rebased = json.loads(run("rebaseline", "-r", "z", "-f", "json", "--at", "2026-12-02").stdout)
    assert rebased["event"]["data"]["version"] == 2
    assert rebased["consequences"]["rebaseline"]["due"] is False
    blocked = json.loads(run("block", "day2", "-r", "b", "-f", "json", "--at", "2026-12-02").stdout)
    assert blocked["event"]["kind"] == "block"
    unblocked = json.loads(run("unblock", "day2", "-f", "json", "--at", "2026-12-02T12:00").stdout)
    assert unblocked["event"]["kind"] == "unblock"


def test_export_json_lists_the_calendar_rows(run) -> None:  # type: ignore[no-untyped-def]
    rows = json.loads(run("export", "--format", "json", "--at", "2026-12-01").stdout)
    csv_lines = run("export", "--format", "csv", "--at", "2026-12-01").stdout.splitlines()
    assert len(rows) == len(csv_lines) - 1
    assert list(rows[0]) == csv_lines[0].split(",")


def test_memo_format_is_markdown_html_or_json(run) -> None:  # type: ignore[no-untyped-def]
    page = run("memo", "--format", "html", "--at", "2026-12-01").stdout
    assert page.lstrip().lower().startswith("<!doctype html>")
    memo = json.loads(run("memo", "--format", "json", "--at", "2026-12-01").stdout)
    assert memo["title"].startswith("AI Marketing Automation Sprint")
    refused = run("memo", "--format", "xml", "--at", "2026-12-01", ok=False)
    assert refused.exit_code == 2 and "xml" in refused.output


def test_ics_stamps_now_sequences_moves_and_bounds_the_time_zone(run) -> None:  # type: ignore[no-untyped-def]
    def due_events(at: str) -> dict[str, object]:
        calendar = Calendar.from_ical(run("export", "--at", at).stdout_bytes)
        return {str(e["UID"]): e for e in calendar.walk("VEVENT") if "-due@" in str(e["UID"])}

    first = due_events("2026-12-01")
    now = datetime.now(UTC)
    stamps = {e.decoded("DTSTAMP") for e in first.values()}  # type: ignore[attr-defined]
    assert all(abs(stamp - now) < timedelta(minutes=1) for stamp in stamps)  # not --at's Dec 1
    assert {e["SEQUENCE"] for e in first.values()} == {0}  # type: ignore[index]
    run("slip", "day18", "--days", "1", "--reason", "x", "--at", "2026-12-01T09:00")
    moved = due_events("2026-12-01T10:00")
    day19 = moved["PRJ-AIML-002-day19-due@marketloop"]
    assert day19["SEQUENCE"] > first["PRJ-AIML-002-day19-due@marketloop"]["SEQUENCE"]  # type: ignore[index,operator]
    raw = run("export", "--at", "2026-12-01").stdout
    assert raw.count("BEGIN:STANDARD") + raw.count("BEGIN:DAYLIGHT") == 1  # no 1970–2038 table


@pytest.mark.parametrize(
    ("command", "text"),
    [("show", "Default: [plan] file in settings"), ("escalations", "through the [plan] notifier")],
)
def test_help_keeps_settings_sections_in_brackets(cli: CliRunner, command: str, text: str) -> None:
    out = cli.invoke(app, ["plan", command, "--help"]).output
    assert text in " ".join(out.replace("│", " ").split())


def test_memo_out_and_the_old_html_spelling(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "memo.html"
    written = run("memo", "-f", "html", "-o", str(page), "--at", "2026-12-01")
    assert written.stdout == "" and page.read_text().lower().startswith("<!doctype html>")
    markdown = tmp_path / "memo.md"
    run("memo", "-o", str(markdown), "--at", "2026-12-01")
    assert markdown.read_text().startswith("# AI Marketing Automation Sprint")
    old = tmp_path / "old.html"
    result = run("memo", "--html", str(old), "--at", "2026-12-01")
    assert old.read_text().lower().startswith("<!doctype html>")
    assert "`marketloop plan memo --html` is deprecated" in result.stderr
    assert "use --format html --out FILE" in result.stderr


def test_every_table_can_be_an_html_page(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    calendar = run("export", "--format", "html", "--at", "2026-12-01").stdout
    assert calendar.lower().startswith("<!doctype html>") and "<td>" in calendar
    run("status", "-o", str(tmp_path / "status.html"), "--at", "2026-12-01")
    assert "<table>" in (tmp_path / "status.html").read_text()
    refused = run("status", "--format", "table", "-o", str(tmp_path / "s.txt"), ok=False)
    assert refused.exit_code == 2 and "--out needs --format json, csv or html" in refused.output


def test_a_recorded_change_can_be_written_as_json(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "slip.json"
    result = run(
        "slip", "day3", "--days", "1", "--reason", "late", "-o", str(out), "--at", "2026-12-01"
    )
    assert result.stdout == "" and json.loads(out.read_text())["event"]["task"] == "day3"
