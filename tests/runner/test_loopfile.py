"""Loop files: valid ones load; each kind of bad input is refused with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketloop.runner.loopfile import LoopFileError, load_loop, parse_loop

GOOD = """\
name: weekly
schedule: {cron: "0 6 * * MON", timezone: America/Los_Angeles}
steps:
  crawl:
    action: crawl
    with: {url: "https://example.com/"}
  audit:
    action: audit
    needs: [crawl]
    gate: {fail_on: critical}
  publish:
    action: publish.notion
    needs: [audit]
    gate: manual
"""

BAD = [
    ("steps:\n  a: {action: noop}\n", 1, "name: field required"),
    ("name: x\nsteps:\n  a:\n    action: nope\n", 4, "unknown action 'nope'"),
    (
        "name: x\nsteps:\n  a:\n    action: noop\n    needs: [b]\n  b:\n    action: noop\n"
        "    needs: [a]\n",
        5,
        "cycle: a → b → a",
    ),
    (
        "name: x\nschedule:\n  cron: '61 * * * *'\nsteps:\n  a: {action: noop}\n",
        3,
        "not a five-field cron",
    ),
    (
        "name: x\nschedule: {cron: '* * * * *', timezone: Mars/Base}\n"
        "steps:\n  a: {action: noop}\n",
        2,
        "unknown time zone",
    ),
    ("name: x\nsteps:\n  a:\n    action: noop\n    needs:\n      - ghost\n", 6, "unknown step"),
    (
        "name: x\nsteps:\n  a:\n    action: crawl\n    with: {url: 'https://e.com/'}\n"
        "    gate: {fail_on: critical}\n",
        6,
        "yields no gate result",
    ),
    ("name: x\nsteps:\n  a:\n    action: audit\n    gate: {fail_on: fatal}\n", 5, "fail_on"),
    ("name: x\nsteps:\n  a:\n    action: noop\n    with:\n      secnds: 1\n", 6, "unknown field"),
    (
        "name: x\nsteps:\n  a:\n    action: crawl\n    with: {max_urls: -1, url: u}\n",
        5,
        "greater than or equal to 1",
    ),
    ("name: x\nsteps:\n  a: {action: noop}\n  a: {action: noop}\n", 4, "duplicate key"),
    ("name: x\nsteps:\n  a: &x {action: noop}\n  b: *x\n", 3, "anchors"),
    ("name: x\nsteps: [\n", 3, "not valid YAML"),
    ("name: x\nsteps:\n  a: {action: noop, with: " + "[" * 40 + "]" * 40 + "}\n", 3, "nested"),
    (
        "name: x\nsteps:\n  a:\n    action: noop\n    with: {log: '${NOT_SET_ANYWHERE}'}\n",
        5,
        "NOT_SET_ANYWHERE is not set",
    ),
    ("name: x\nsteps:\n  a:\n    action: noop\n    retries: -1\n", 5, "retries"),
    # arguments the command would refuse are refused at `loop check`, not when the step runs
    (
        "name: x\nsteps:\n  a:\n    action: crawl\n    with: {url: 'javascript:alert(1)'}\n",
        5,
        "not an http(s) URL",
    ),
    (
        "name: x\nsteps:\n  a:\n    action: crawl\n"
        "    with: {url: 'https://e.com/', exclude: ['([']}\n",
        5,
        "invalid regex '(['",
    ),
    (
        "name: x\nsteps:\n  a:\n    action: plan.escalations\n    with: {at: 'next tuesday'}\n",
        5,
        "'next tuesday' is not a date or date-time",
    ),
    (
        "name: x\nsteps:\n  a:\n    action: plan.memo\n    with:\n"
        "      send: [email:a@b.co, 'sms:[/]<script>']\n",
        6,
        "'sms:[/]<script>' is not a channel",
    ),
    (
        "name: x\nsteps:\n  a:\n    action: plan.digest\n"
        "    with: {kind: standup, channel: '#general'}\n",
        5,
        "'#general' is not a channel",
    ),
    ("name: x\nsteps:\n  a:\n    action: notify\n    with: {channel: slack}\n", 5, "not a channel"),
    (
        "name: x\nsteps:\n  a:\n    action: ingest.file\n    with: {path: k.xlsx, table: k}\n",
        5,
        "unknown file type .xlsx",
    ),
    # a cron for a day that never comes: croniter raised CroniterBadDateError (a traceback)
    ("name: x\nschedule: {cron: '0 0 30 2 *'}\nsteps:\n  a: {action: noop}\n", 2, "never fires"),
    (
        "name: x\nsteps:\n  a:\n    action: noop\n    schedule:\n"
        "      cron: '0 9 31 4 *'\n      timezone: Europe/Paris\n",
        6,
        "'0 9 31 4 *' never fires",
    ),
    # one message for a gate that is neither `manual` nor a mapping (was one per union member)
    (
        "name: x\nsteps:\n  a:\n    action: audit\n    gate: '[/]auto'\n",
        5,
        "'[/]auto' is not a gate: write `manual`",
    ),
    # names and owners are labels, not documents
    (
        "name: x\nsteps:\n  a:\n    action: noop\n    owner: '" + "=x" * 101 + "'\n",
        5,
        "steps.a.owner: String should have at most 200 characters",
    ),
    (
        "name: x\nowners:\n  '" + "k" * 101 + "': a\nsteps:\n  a: {action: noop}\n",
        3,
        "at most 100 characters",
    ),
    # a timeout the thread wait cannot take (OverflowError mid-run before it was refused here)
    ("name: x\nsteps:\n  a:\n    action: noop\n    timeout: 1e300\n", 5, "timeout"),
]


def test_a_good_loop_loads() -> None:
    loop = parse_loop(GOOD, "weekly.yaml")
    assert list(loop.steps) == ["crawl", "audit", "publish"]
    assert loop.steps["publish"].gate == "manual"
    assert loop.schedule is not None and loop.schedule.timezone == "America/Los_Angeles"


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_bad_loop_files_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(LoopFileError) as caught:
        parse_loop(text, "bad.yaml")
    assert f"bad.yaml:{line}:" in caught.value.message
    assert message in caught.value.message
    assert caught.value.exit_code == 2


def test_environment_variables_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITE", "https://shop.example/")
    text = "name: x\nsteps:\n  a:\n    action: crawl\n    with: {url: '${SITE}'}\n"
    assert parse_loop(text).steps["a"].with_["url"] == "https://shop.example/"
    text = (
        "name: x\nsteps:\n  a:\n    action: crawl\n    with: {url: '${NOPE:-https://d.example/}'}\n"
    )
    assert parse_loop(text).steps["a"].with_["url"] == "https://d.example/"


STEP = "name: x\nsteps:\n  a:\n    action: {action}\n    {field}: {value}\n"


@pytest.mark.parametrize("field", ["retries", "backoff", "timeout"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        # bools are ints in Python: `retries: true` was one retry, `timeout: true` one second
        ("true", ": true is a boolean; write a number"),
        ("false", ": false is a boolean; write a number"),
        ("!!float .nan", "finite number"),  # nan passed no bound check with a clear message
        ("!!float .inf", "finite number"),  # `backoff: .inf` was accepted
        ("'-inf'", ""),
        ("1e999", ""),
    ],
)
def test_a_step_number_is_a_finite_number_not_a_boolean(
    field: str, value: str, message: str
) -> None:
    with pytest.raises(LoopFileError) as caught:
        parse_loop(STEP.format(action="noop", field=field, value=value), "bad.yaml")
    assert f"bad.yaml:5: steps.a.{field}: " in caught.value.message
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("gate", "{min_pass_rate: true}", "steps.a.gate.min_pass_rate: true is a boolean"),
        (
            "gate",
            "{min_pass_rate: !!float .nan}",
            "steps.a.gate.min_pass_rate: Input should be a finite",
        ),
        ("gate", "{min_pass_rate: 'NaN'}", "steps.a.gate.min_pass_rate: Input should be a finite"),
        ("with", "{seconds: true}", "steps.a.with.seconds: true is a boolean"),
        ("with", "{fail_attempts: false}", "steps.a.with.fail_attempts: false is a boolean"),
        ("with", "{seconds: !!float .inf}", "steps.a.with.seconds: Input should be a finite"),
    ],
)
def test_gate_and_action_numbers_refuse_booleans_and_nan(
    field: str, value: str, message: str
) -> None:
    action = "eval" if field == "gate" else "noop"
    with pytest.raises(LoopFileError) as caught:
        parse_loop(STEP.format(action=action, field=field, value=value), "bad.yaml")
    assert f"bad.yaml:5: {message}" in caught.value.message


def test_numbers_from_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETRIES", "3")
    monkeypatch.setenv("WAIT", "2.5")
    text = (
        "name: x\nsteps:\n  a:\n    action: eval\n    with: {suite: s.yaml}\n"
        "    retries: '${RETRIES}'\n    timeout: '${WAIT}'\n    backoff: '${NOPE:-0.5}'\n"
        "    gate: {min_pass_rate: '${WAIT:-x}'}\n"
    )
    with pytest.raises(LoopFileError, match=r"min_pass_rate: Input should be less than or equal"):
        parse_loop(text)
    monkeypatch.setenv("WAIT", "0.75")
    step = parse_loop(text).steps["a"]
    assert (step.retries, step.timeout, step.backoff) == (3, 0.75, 0.5)
    assert step.gate == {"min_pass_rate": "0.75"}  # validated by the action's gate model
    monkeypatch.setenv("RETRIES", "true")  # a variable's "true" is no number either
    with pytest.raises(LoopFileError, match=r"steps\.a\.retries: Input should be a valid integer"):
        parse_loop(text)


def test_hostile_names_are_refused_not_run() -> None:
    text = "name: '<script>x</script>'\nsteps:\n  a: {action: noop}\n"
    with pytest.raises(LoopFileError, match="name"):
        parse_loop(text)


@pytest.mark.parametrize("name", ["weekly.yaml", "demo.yaml"])
def test_shipped_loops_are_valid(name: str) -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "loops" / name
    loop = load_loop(path)
    assert loop.steps


def test_the_weekly_loop_is_the_seeds_loop() -> None:
    """examples/loops/weekly.yaml as the issue describes it: its owners; crawl → audit and
    tickets; GA4, Search Console and HubSpot into the quality gate; keywords → briefs → the eval
    gate → Notion after approval; escalations at the 09:00 and 14:00 PT windows."""
    path = Path(__file__).resolve().parents[2] / "examples" / "loops" / "weekly.yaml"
    loop = load_loop(path)
    steps = loop.steps
    assert loop.owners and all(step.owner for step in steps.values())
    actions = {name: step.action for name, step in steps.items()}
    assert {"crawl", "audit", "tickets", "quality", "eval", "publish.notion"} <= set(
        actions.values()
    )
    by_action = {step.action: name for name, step in steps.items()}
    assert steps[by_action["audit"]].needs == [by_action["crawl"]]
    assert steps[by_action["audit"]].gate == {"fail_on": "critical"}
    assert by_action["crawl"] in steps[by_action["tickets"]].needs
    quality = steps[by_action["quality"]]
    assert {actions[n] for n in quality.needs} >= {"ingest.ga4", "ingest.gsc", "ingest.hubspot"}
    assert by_action["quality"] in steps[by_action["keywords.cluster"]].needs
    assert steps[by_action["briefs.generate"]].needs == [by_action["keywords.cluster"]]
    evaluate = steps[by_action["eval"]]
    assert evaluate.needs == [by_action["briefs.generate"]]
    assert evaluate.gate is not None and "min_pass_rate" in evaluate.gate
    publish = steps[by_action["publish.notion"]]
    assert publish.needs == [by_action["eval"]] and publish.gate == "manual"
    windows = {
        (step.schedule.cron, step.schedule.timezone)
        for step in steps.values()
        if step.action == "plan.escalations" and step.schedule
    }
    assert windows == {
        ("0 9 * * MON-FRI", "America/Los_Angeles"),
        ("0 14 * * MON-FRI", "America/Los_Angeles"),
    }


def test_a_loop_of_at_most_500_steps_even_one_long_chain_is_checked() -> None:
    """Steps listed last-first, each needing the next: the walk of the DAG goes 500 deep."""
    chain = "".join(f"  s{i}: {{action: noop, needs: [s{i - 1}]}}\n" for i in range(499, 0, -1))
    loop = parse_loop("name: chain\nsteps:\n" + chain + "  s0: {action: noop}\n")
    assert len(loop.steps) == 500
    longer = "name: chain\nsteps:\n" + "".join(
        f"  s{i}: {{action: noop, needs: [s{i - 1}]}}\n" for i in range(3000, 0, -1)
    )
    with pytest.raises(LoopFileError, match=r"chain.yaml:2: steps: .*at most 500 items"):
        parse_loop(longer + "  s0: {action: noop}\n", "chain.yaml")


def test_a_file_that_never_ends_is_refused_not_read(tmp_path: Path) -> None:
    """`loop check /dev/zero` read until memory ran out (MemoryError); a loop file is small."""
    with pytest.raises(LoopFileError, match="is larger than 1,000,000 bytes"):
        load_loop(Path("/dev/zero"))
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n# " + "x" * 1_000_000 + "\nsteps:\n  a: {action: noop}\n")
    with pytest.raises(LoopFileError, match="larger than"):
        load_loop(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"name: \xb9\n")
    with pytest.raises(LoopFileError, match="cannot read loop file"):
        load_loop(binary)
