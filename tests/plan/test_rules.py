"""The seed's rules, as scenarios on the example sprint (days are sprint days, PT)."""

from collections.abc import Callable

from marketloop.plan.escalation import escalations
from marketloop.plan.events import fold
from marketloop.plan.fallback import triage
from marketloop.plan.model import Plan
from marketloop.plan.rebaseline import baseline_critical, rebaseline_event, verdict
from marketloop.plan.schedule import compute

from .conftest import Sprint

OnTime = Callable[[int], Sprint]


def escalated(s: Sprint, day: int, hour: float = 17) -> list[tuple[str, str, str, tuple[str, ...]]]:
    state = s.state(day, hour)
    found = escalations(s.plan, state, compute(s.plan, state, s.at(day, hour)))
    return [(e.task, e.to, e.channel, e.rules) for e in found]


def test_the_baseline_is_feasible_and_its_critical_path_is_the_launch_chain(sprint: Sprint) -> None:
    schedule = sprint.schedule(1, 8)
    assert all(f.slack is not None and f.slack >= 0 for f in schedule.forecasts.values())
    assert schedule.critical_path == ("day14", "day15", "day16", "day17", "day18", "day19", "day21")
    assert schedule.forecasts["day12"].slack == 1  # one business day (Sat) before day 14
    assert escalated(sprint, 1, 8) == []


def test_a_one_day_slip_does_not_escalate(on_time: OnTime) -> None:
    s = on_time(10)
    s.slip("day12", 1, day=10)
    assert s.schedule(10).forecasts["day12"].variance == 1
    assert escalated(s, 10) == []


def test_a_two_day_slip_escalates_to_the_executive_sponsor(on_time: OnTime) -> None:
    s = on_time(7)
    s.slip("day7", 2, day=7)
    assert escalated(s, 7) == [("day7", "Executive Sponsor", "slack:@alex.rivera", ("slip",))]


def test_a_one_day_slip_that_moves_the_launch_escalates(on_time: OnTime) -> None:
    s = on_time(18)
    s.slip("day18", 1, day=18)
    assert escalated(s, 18) == [("day18", "Executive Sponsor", "slack:@alex.rivera", ("launch",))]


def test_every_slip_that_moves_the_launch_escalates_not_only_the_binding_chain(
    on_time: OnTime,
) -> None:
    s = on_time(14)
    s.slip("day14", 1, day=14)
    s.slip("day17", 1, day=14)
    launch = ("Executive Sponsor", "slack:@alex.rivera", ("launch",))
    assert escalated(s, 14) == [("day14", *launch), ("day17", *launch)]


def test_a_slip_within_its_slack_to_the_launch_does_not_escalate_for_the_launch(
    on_time: OnTime,
) -> None:
    s = on_time(12)
    s.slip("day12", 1, day=12)  # one business day of slack before day 14 (and the launch)
    s.slip("day18", 1, day=12)  # moves the launch onto the day 20 buffer
    assert escalated(s, 12) == [("day18", "Executive Sponsor", "slack:@alex.rivera", ("launch",))]


def test_a_weekend_blocker_reaches_the_sponsor_when_unresolved_after_4_hours(
    on_time: OnTime,
) -> None:
    s = on_time(13)
    s.record("block", "day13", 13, 10, reason="QA environment down")
    lead = ("day13", "Project Lead", "slack:#aiml-delivery", ("weekend-blocker",))
    sponsor = ("day13", "Executive Sponsor", "slack:@alex.rivera", ("weekend-blocker",))
    sre = ("day13", "SRE On-Call", "pagerduty:AIML-Auto", ("weekend-blocker",))
    assert escalated(s, 13, 10.25) == [lead]
    assert escalated(s, 13, 13.9) == [lead]
    assert escalated(s, 13, 14.1) == [lead, sponsor]
    assert escalated(s, 13, 18.5) == [lead, sponsor, sre]


def test_a_weekend_blocker_resolved_in_time_stops_climbing(on_time: OnTime) -> None:
    s = on_time(13)
    s.record("block", "day13", 13, 10, reason="QA environment down")
    s.record("unblock", "day13", 13, 12, reason="restarted")
    assert escalated(s, 13, 15) == []


def test_a_weekday_blocker_goes_to_the_lead_then_to_the_sponsor_once_it_costs_a_day(
    on_time: OnTime,
) -> None:
    s = on_time(10)
    s.record("block", "day10", 10, 10, reason="vault access")
    assert escalated(s, 10, 11) == [("day10", "Project Lead", "slack:#aiml-delivery", ("blocker",))]
    tasks_and_roles = {(t, to) for t, to, _, _ in escalated(s, 11, 17)}
    assert ("day10", "Executive Sponsor") in tasks_and_roles


def test_one_critical_slip_pushes_to_the_next_buffer_and_pulls_backlog(on_time: OnTime) -> None:
    s = on_time(18)
    s.slip("day18", 1, day=18)
    schedule = s.schedule(18)
    launch = schedule.forecasts["day19"]
    assert launch.status == "pushed" and launch.date == s.plan.sprint.date_of(20)
    pull = next(p for p in schedule.pulls if p.date == s.plan.sprint.date_of(19))
    item = next(i for i in s.plan.backlog if i.id == pull.item)
    assert item.effort <= s.plan.by_id["day19"].effort
    assert schedule.forecasts["day21"].date == s.plan.sprint.date_of(21)  # absorbed
    assert not verdict(s.plan, s.state(18), schedule).due


def test_a_slip_with_slack_downstream_is_absorbed_by_a_buffer(on_time: OnTime) -> None:
    s = on_time(10)
    s.slip("day10", 1, day=10)
    schedule = s.schedule(10)
    assert schedule.forecasts["day11"].status == "pushed"
    assert schedule.forecasts["day11"].date == s.plan.sprint.date_of(13)
    assert schedule.forecasts["day15"].variance == 0
    assert [p.date for p in schedule.pulls if "pushed" in p.because] == [s.plan.sprint.date_of(11)]


def test_without_a_buffer_before_the_successors_the_slip_travels_downstream(
    on_time: OnTime,
) -> None:
    s = on_time(14)
    s.slip("day14", 2, day=14)
    forecasts = s.schedule(14).forecasts
    assert [forecasts[t].variance for t in ("day15", "day16", "day17", "day18", "day19")] == [2] * 5
    assert forecasts["day15"].status == "waiting" and "day14" in forecasts["day15"].reason


def test_two_critical_slips_at_once_rebaseline_and_keep_the_old_baseline(on_time: OnTime) -> None:
    s = on_time(15)
    s.slip("day15", 1, day=15)
    s.slip("day17", 1, day=15, hour=11)
    state, schedule = s.state(15), s.schedule(15)
    decision = verdict(s.plan, state, schedule)
    assert decision.due and decision.slipping == ("day15", "day17")
    event = rebaseline_event(s.plan, state, schedule, s.at(15, 18), "two critical slips")
    s.events.append(event)
    after = fold(s.events, s.at(15, 19))
    assert [b.version for b in after.baselines] == [2]
    assert event.data["variance"]["day18"] == 1
    assert schedule.forecasts["day19"].date == s.plan.sprint.date_of(20)  # launch on the buffer
    assert after.baselines[-1].dates["day19"] == schedule.forecasts["day19"].date
    rebased = compute(s.plan, after, s.at(15, 19))
    assert all(f.variance == 0 for f in rebased.forecasts.values())
    assert not verdict(s.plan, after, rebased).due
    before = compute(s.plan, fold(s.events, s.at(15, 17)), s.at(15, 17))
    assert before.baseline_version == 1  # evaluating before it still sees the old baseline


def test_a_successor_on_a_buffer_day_leaves_its_predecessor_without_negative_slack(
    sprint: Sprint,
) -> None:
    sprint.slip("day18", 1, day=1)
    schedule = sprint.schedule(1, 10)
    assert schedule.forecasts["day19"].date == sprint.plan.sprint.date_of(20)  # pushed to a buffer
    assert schedule.end == sprint.plan.sprint.date_of(21)  # the sprint still ends on time
    assert {t: schedule.forecasts[t].slack for t in ("day17", "day18", "day19")} == {
        "day17": 1,  # one more day here is absorbed by the same buffer
        "day18": 0,
        "day19": 0,
    }


def test_a_rebaseline_keeps_pushed_work_on_its_buffer_and_every_slack_non_negative(
    sprint: Sprint,
) -> None:
    sprint.slip("day14", 1, day=1)
    sprint.slip("day17", 1, day=1)
    at = sprint.at(1, 12)
    state = sprint.state(1, 11)
    event = rebaseline_event(sprint.plan, state, compute(sprint.plan, state, at), at, "two slips")
    sprint.record("rebaseline", None, 1, 12, **event.data)
    after = sprint.schedule(1, 13)
    assert after.baseline_version == 2
    assert all(f.slack is not None and f.slack >= 0 for f in after.forecasts.values())
    day19 = after.forecasts["day19"]
    assert day19.baseline == day19.date == sprint.plan.sprint.date_of(20)
    assert day19.status == "pushed" and "before baseline v2" in day19.reason
    assert after.buffers[-1].pushed == ("day19",)


def test_a_late_dependency_pushes_without_pulling_into_a_day_gone_by(sprint: Sprint) -> None:
    sprint.done("day1", "day2")
    schedule = sprint.schedule(5, 12)
    day4 = schedule.forecasts["day4"]
    assert day4.status == "pushed" and day4.reason == "pushed to buffer day 6: day3 is late"
    assert [p for p in schedule.pulls if p.date < sprint.plan.sprint.date_of(5)] == []


def test_a_push_costs_the_business_days_it_skips_and_may_exceed_the_buffer_capacity(
    on_time: OnTime,
) -> None:
    s = on_time(3)
    s.slip("day3", 1, day=3)  # day3 on Fri Dec 4: day4 (Fri) is pushed to Sun Dec 6
    schedule = s.schedule(3)
    day4 = schedule.forecasts["day4"]
    assert (day4.status, day4.date.isoformat(), day4.variance) == ("pushed", "2026-12-06", 1)
    day6 = schedule.buffers[0]
    assert day6.pushed == ("day4",) and "6 h, more than the buffer's 4 h" in day6.note


def test_a_blocked_task_is_not_pushed_onto_a_buffer_the_swap_rule_stabilises_it(
    on_time: OnTime,
) -> None:
    s = on_time(18)
    s.record("block", "day19", 18, 9, reason="change advisory approval pending")
    s.slip("day18", 1, day=18)  # unblocked, day19 would be pushed to the day 20 buffer
    schedule = s.schedule(18)
    launch = schedule.forecasts["day19"]
    assert launch.status == "blocked" and launch.date == s.plan.sprint.date_of(21)
    assert launch.reason == "waits for day18 (forecast Sat Dec 19)"
    day20 = schedule.buffers[-1]
    assert day20.mode == "pending" and day20.pushed == ()
    assert [p for p in schedule.pulls if p.date == s.plan.sprint.date_of(19)] == []
    s.record("done", "day18", 19, 16)
    on_the_buffer = s.schedule(20, 10).buffers[-1]  # still blocked when day 19 closed
    assert on_the_buffer.mode == "stabilise" and on_the_buffer.open_issues == ("day19",)


def test_a_blocked_task_gives_up_the_buffer_a_rebaseline_kept_it_on(sprint: Sprint) -> None:
    sprint.slip("day18", 1, day=1)  # day19 is pushed to the day 20 buffer
    at = sprint.at(1, 12)
    state = sprint.state(1, 11)
    event = rebaseline_event(sprint.plan, state, compute(sprint.plan, state, at), at, "kept")
    sprint.record("rebaseline", None, 1, 12, **event.data)
    assert sprint.schedule(1, 13).forecasts["day19"].status == "pushed"
    sprint.record("block", "day19", 2, 10, reason="change advisory approval pending")
    schedule = sprint.schedule(2)
    launch = schedule.forecasts["day19"]
    assert launch.status == "blocked" and launch.date == sprint.plan.sprint.date_of(21)
    assert schedule.buffers[-1].mode == "pending" and schedule.buffers[-1].pushed == ()


def test_slips_one_after_another_do_not_rebaseline(on_time: OnTime) -> None:
    s = on_time(14)
    s.slip("day14", 1, day=14)
    s.record("done", "day14", 15, 16)
    s.slip("day16", 1, day=16)
    assert not verdict(s.plan, s.state(16), s.schedule(16)).due


def test_baseline_critical_set(example: Plan) -> None:
    assert baseline_critical(example, fold([])) == {
        "day14", "day15", "day16", "day17", "day18", "day19", "day21"
    }  # fmt: skip


def test_swap_rule_clean_prior_day_pulls_backlog_into_the_buffer(on_time: OnTime) -> None:
    s = on_time(6)
    day6 = s.schedule(6, 11).buffers[0]
    assert day6.mode == "pull-backlog" and day6.pulls
    assert sum(p.effort for p in day6.pulls) <= s.plan.by_id["day6"].capacity  # type: ignore[operator]
    assert {p.item for p in day6.pulls} <= {
        "bl-seo-quick-wins",
        "bl-gsc-connector",
        "bl-freshness-alerts",
    }


def test_swap_rule_unclean_prior_day_stabilises_open_issues_in_priority_order(
    sprint: Sprint,
) -> None:
    sprint.done("day1", "day2", "day5")
    day6 = sprint.schedule(6, 11).buffers[0]
    assert day6.mode == "stabilise" and not day6.pulls
    assert day6.open_issues == ("day3",) and day6.deferred == ("day4",)  # data integrity first


def test_swap_rule_waits_for_the_prior_day_to_close(on_time: OnTime) -> None:
    assert on_time(5).schedule(5, 15).buffers[0].mode == "pending"


def test_fallback_order_restores_data_then_automation_then_alignment(example: Plan) -> None:
    short = triage(example, ["day21", "day15", "day12", "day4", "day11", "day3", "day10"], 16)
    assert short.focus == ("day3", "day4")
    assert short.deferred == ("day10", "day11", "day12", "day15", "day21")
    ample = triage(example, ["day21", "day15", "day12"], 100)
    assert ample.focus == ("day12", "day15", "day21") and not ample.deferred


def test_events_after_the_moment_evaluated_are_not_seen(on_time: OnTime) -> None:
    s = on_time(10)
    s.slip("day12", 2, day=11)
    assert escalated(s, 10) == []
    assert escalated(s, 11)
