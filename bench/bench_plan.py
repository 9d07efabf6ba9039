"""How fast the plan rules evaluate: fold + schedule + escalations on the example sprint with a
long event log (goal: under 50 ms per evaluation, so `plan status` feels instant)."""

from __future__ import annotations

import random
import time
from datetime import time as clock

from marketloop.plan.demo import example_plan_path
from marketloop.plan.escalation import escalations
from marketloop.plan.events import Event, fold
from marketloop.plan.loader import load_plan
from marketloop.plan.schedule import compute

GOAL_MS = 50.0


def main() -> None:
    plan = load_plan(example_plan_path())
    sprint = plan.sprint
    rng = random.Random(5)
    work = [t.id for t in plan.work]
    events = []
    for seq in range(1, 2001):
        day = rng.randint(1, 21)
        at = sprint.at_time(sprint.date_of(day), clock(rng.randint(8, 18)))
        kind = rng.choice(["slip", "block", "unblock", "notified"])
        data = {"days": 1, "reason": "r", "key": f"k{seq}"}
        events.append(Event(kind, at, rng.choice(work), data, seq))  # type: ignore[arg-type]
    at = sprint.at_time(sprint.date_of(21), clock(17))
    runs = 50
    started = time.perf_counter()
    for _ in range(runs):
        state = fold(events, at)
        escalations(plan, state, compute(plan, state, at))
    per_run = (time.perf_counter() - started) / runs * 1000
    print(f"plan evaluation, {len(events)} events, {len(plan.tasks)} tasks: {per_run:.1f} ms")
    print(f"ratio to the {GOAL_MS:.0f} ms goal: {per_run / GOAL_MS:.2f} (below 1 meets it)")
