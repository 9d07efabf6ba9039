import re
from pathlib import Path

import pytest

from marketloop.plan.loader import PlanFileError, load_plan, parse_plan
from marketloop.plan.model import Plan

from .conftest import CASES, EXAMPLE

SEED = Path("/work/shared/seeds/ai-marketing-automation-sprint.md")

# case file → (line the message must name, what it must say)
MALFORMED = {
    "cycle": (16, "tasks[0].after: dependency cycle: day1 → day1"),
    "later_dependency": (17, "dependency cycle: day2 → day3 → day2"),
    "unknown_owner": (19, "tasks[3].owner: unknown owner 'anne'"),
    "missing_day": (19, "day 4 is missing"),
    "duplicate_day": (19, "day 3 is already taken by day3"),
    "unknown_dependency": (23, "tasks[7].after[1]: day8 depends on unknown task 'day9'"),
    "bad_date": (4, "calendar.start: Input should be a valid date"),
    "bad_timezone": (5, "unknown time zone 'Europe/Berlinn'"),
    "buffer_on_business_day": (21, "buffer day 6 falls on Sat 2026-12-12, a business day"),
    "unknown_role": (14, "people.cid.roles[0]: unknown role 'developer'"),
    "duplicate_key": (11, "duplicate key 'lead' (first on line 8)"),
    "unknown_field": (38, "cadence.meetings[0].when: unknown field"),
    "yaml_syntax": (31, "not valid YAML"),
    "missing_field": (29, "escalation.decision_role: field required"),
    "unknown_channel": (32, "slack:@robert is nobody's slack contact"),
    "recursive_alias": (2, "YAML anchor &a: anchors and aliases are not supported"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_plans_are_rejected_naming_file_line_and_field(case: str) -> None:
    line, expected = MALFORMED[case]
    path = CASES / f"{case}.yaml"
    with pytest.raises(PlanFileError) as caught:
        load_plan(path)
    assert f"{path}:{line}: " in caught.value.message
    assert expected in caught.value.message
    assert caught.value.exit_code == 2


def test_every_case_file_is_in_the_table() -> None:
    files = {p.stem for p in CASES.glob("*.yaml")} - {"minimal"}
    assert files == set(MALFORMED)


def test_missing_file_says_where_to_look(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="does not exist") as caught:
        load_plan(tmp_path / "plan.yaml")
    assert "examples/plans/ai-marketing-sprint.yaml" in str(caught.value.hint)


def test_times_stay_clock_times_not_sexagesimal_numbers(minimal: Plan) -> None:
    text = (CASES / "minimal.yaml").read_text().replace('at: "09:00"', "at: 14:00")
    assert parse_plan(text).cadence.meetings[0].at.hour == 14


def test_an_alias_is_refused_naming_its_line(minimal: Plan) -> None:
    text = (CASES / "minimal.yaml").read_text()
    text = text.replace("name:", "name: &title", 1) + "summary: *title\n"
    with pytest.raises(PlanFileError) as caught:
        parse_plan(text, "plan.yaml")
    line = text.count("\n", 0, text.index("&title")) + 1
    assert f"plan.yaml:{line}: YAML anchor &title" in caught.value.message
    assert "write the value out" in str(caught.value.hint)


def test_empty_file_is_an_error() -> None:
    with pytest.raises(PlanFileError, match="empty"):
        parse_plan("")


def test_example_plan_has_all_21_days_as_day_ids(example: Plan) -> None:
    assert [t.id for t in sorted(example.tasks, key=lambda t: t.day)] == [
        f"day{n}" for n in range(1, 22)
    ]
    assert [b.day for b in example.buffers] == [6, 13, 20]
    for buffer in example.buffers:
        assert example.sprint.date_of(buffer.day).strftime("%a") == "Sun"
        assert buffer.swap_rule and buffer.owner == "sam.jackson" and buffer.role == "on-call"


def test_example_plan_has_every_owner_and_contact_from_the_seed(example: Plan) -> None:
    seed = SEED.read_text() if SEED.exists() else EXAMPLE.read_text()
    owners = set(re.findall(r"\| ([A-Z][a-z]+ [A-Z][a-z]+) \(([^)]+)\) \|", seed))
    labels = {(example.people[t.owner].name, example.roles[t.role].title) for t in example.tasks}
    assert owners == labels and len(labels) == 10  # Sam Jackson leads and is on call
    sam, alex, taylor = (example.people[p] for p in ("sam.jackson", "alex.rivera", "taylor.brooks"))
    assert (sam.slack, sam.email) == ("@sam.jackson", "sam@samsjackson.dev")
    assert alex.slack == "@alex.rivera" and "executive-sponsor" in alex.roles
    assert taylor.pagerduty == "AIML-Auto" and "sre-on-call" in taylor.roles


def test_example_plan_carries_every_rule_of_the_seed(example: Plan) -> None:
    policy = example.escalation
    assert policy.delivery_channel == "slack:#aiml-delivery"
    assert policy.slip_threshold_days == 1 and policy.launch_task == "day19"
    assert example.roles[policy.decision_role].title == "Executive Sponsor"
    ladder = [(lvl.role, lvl.channel, lvl.after_hours) for lvl in policy.blocker_ladder]
    assert ladder[:2] == [
        ("project-lead", "slack:#aiml-delivery", 0),
        ("executive-sponsor", "slack:@alex.rivera", 4),
    ]
    assert ladder[2][:2] == ("sre-on-call", "pagerduty:AIML-Auto")
    assert [(g.name, g.tasks) for g in example.fallback] == [
        ("data integrity", ("day3", "day4")),
        ("automation stability", ("day10", "day11", "day12")),
        ("stakeholder alignment", ("day15",)),
    ]
    assert example.adjustments.rebaseline_min_critical_slips == 2
    assert example.adjustments.push_to_buffer and example.adjustments.pull_backlog
    meetings = {
        (m.title.split(" (")[0], m.at.strftime("%H:%M"), m.on) for m in example.cadence.meetings
    }
    assert meetings == {
        ("Daily stand-up", "09:00", "business"),
        ("Weekend async check-in", "11:00", "weekend"),
        ("Blocker triage window", "14:00", "business"),
    }
    assert example.calendar.timezone == "America/Los_Angeles"
    assert [(p.first_day, p.last_day) for p in example.phases] == [(1, 5), (6, 15), (16, 21)]
    assert example.backlog and all(item.effort > 0 for item in example.backlog)
    assert example.by_id["day3"].prerequisites == ("API keys for GA4, HubSpot",)


def test_example_marks_links_the_seed_does_not_state_as_assumptions(example: Plan) -> None:
    lines = EXAMPLE.read_text().splitlines()
    assumed = {
        (task, line.split("-", 1)[1].split("#")[0].strip())
        for task, start in (("day14", "  - id: day14"), ("day15", "  - id: day15"),
                            ("day18", "  - id: day18"), ("day19", "  - id: day19"))
        for line in lines[lines.index(start) : lines.index(start) + 14]
        if "# assumed:" in line and line.strip().startswith("- day")
    }  # fmt: skip
    assert assumed == {
        ("day14", "day5"), ("day15", "day11"), ("day15", "day12"), ("day15", "day14"),
        ("day18", "day5"), ("day19", "day18"), ("day19", "day12"),
    }  # fmt: skip
    for task, before in assumed:
        assert before in example.by_id[task].after
    if SEED.exists():  # the seed names no other day's deliverable for these two
        seed = SEED.read_text()
        for day in (15, 19):
            row = next(r for r in seed.splitlines() if r.startswith(f"| Day {day} |"))
            assert "Day" not in row.split("|")[4]


MINIMAL = (CASES / "minimal.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        # bools are ints in Python: `effort: true` was one hour, `minutes: true` one minute
        ("effort: 4}", "effort: true}", 16, "tasks[0].effort: true is a boolean; write a number"),
        (
            "minutes: 15",
            "minutes: false",
            38,
            "cadence.meetings[0].minutes: false is a boolean; write a number",
        ),
        # `.inf` hours passed every bound with no upper one
        ("capacity: 4}", "capacity: !!float .inf}", 21, "tasks[5].capacity: Input should be a fin"),
        (
            "after_hours: 4}",
            "after_hours: !!float .nan}",
            35,
            "escalation.blocker_ladder[1].after_hours: Input should be a finite number",
        ),
    ],
)
def test_a_plan_number_is_a_finite_number_not_a_boolean(
    old: str, new: str, line: int, message: str
) -> None:
    assert old in MINIMAL
    with pytest.raises(PlanFileError) as caught:
        parse_plan(MINIMAL.replace(old, new, 1), "bad.yaml")
    assert f"bad.yaml:{line}: {message}" in caught.value.message


@pytest.mark.parametrize(
    ("old", "new", "line", "where"),
    [
        # pydantic reads a number as seconds since 1970 (a date) or since midnight (a time):
        # `start: 20261207` was 1970-08-23 and `at: 900` 00:15:00, with no error
        ("start: 2026-12-07", "start: 20261207", 4, "calendar.start"),
        ("start: 2026-12-07", "start: 2026-12-07\n  holidays: [2026-12-25, 1767225600]", 5,
         "calendar.holidays"),
        ('at: "09:00"', "at: 900", 38, "cadence.meetings[0].at"),
        ('at: "09:00"', "at: 9.5", 38, "cadence.meetings[0].at"),
    ],
)  # fmt: skip
def test_a_plan_date_or_time_is_not_a_number(old: str, new: str, line: int, where: str) -> None:
    assert old in MINIMAL
    with pytest.raises(PlanFileError) as caught:
        parse_plan(MINIMAL.replace(old, new, 1), "bad.yaml")
    expected = f"bad.yaml:{line}: {where}: a number is not a date or time; write 2026-12-14"
    assert expected in caught.value.message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # pydantic read 1, 0, "yes", "on", "no" as booleans: `pull_backlog: 1` was true
        ("1", "a number is not a boolean"),
        ("0", "a number is not a boolean"),
        ("0.0", "a number is not a boolean"),
        ("'yes'", "a string is not a boolean"),
        ('"on"', "a string is not a boolean"),
        ("no", "a string is not a boolean"),  # the plan resolver keeps `no` a string
        ("'<script>x</script>'", "a string is not a boolean"),  # not echoed
        ("[true]", "this value is not a boolean"),
    ],
)
def test_a_plan_boolean_is_true_or_false(value: str, message: str) -> None:
    line = MINIMAL.count("\n") + 2
    text = f"{MINIMAL}adjustments:\n  pull_backlog: {value}\n"
    with pytest.raises(PlanFileError) as caught:
        parse_plan(text, "bad.yaml")
    assert f"bad.yaml:{line}: adjustments.pull_backlog: {message}; write true or false" in (
        caught.value.message
    )
    assert "script" not in caught.value.message


def test_plan_booleans_and_numbers_as_written_still_load() -> None:
    text = f"{MINIMAL}adjustments: {{pull_backlog: false, rebaseline_min_critical_slips: 3}}\n"
    plan = parse_plan(text.replace("effort: 4}", "effort: 2.5}", 1))
    assert plan.adjustments.pull_backlog is False
    assert plan.adjustments.push_to_buffer is True
    assert plan.adjustments.rebaseline_min_critical_slips == 3
    assert plan.tasks[0].effort == 2.5
