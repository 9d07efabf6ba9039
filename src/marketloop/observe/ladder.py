"""The escalation ladder for docs/runbooks/escalation.md, generated from a plan file's people
and escalation policy (`make docs` rewrites it; a test fails when it is stale)."""

from __future__ import annotations

from pathlib import Path

from marketloop.plan.model import Person, Plan

ROOT = Path(__file__).resolve().parents[3]
PLAN = ROOT / "examples" / "plans" / "ai-marketing-sprint.yaml"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _contacts(person: Person) -> str:
    parts = [person.slack, person.email, person.pagerduty and f"PagerDuty {person.pagerduty}"]
    return ", ".join(_cell(p) for p in parts if p) or "—"


def _holders(plan: Plan, role: str) -> str:
    people = [p for p in plan.people.values() if role in p.roles]
    return "; ".join(f"{_cell(p.name)} ({_contacts(p)})" for p in people) or "**nobody**"


def ladder_md(plan: Plan, source: str) -> str:
    policy = plan.escalation
    lines = [
        "# Escalation ladder",
        "",
        f"Generated from `{source}` by `make docs`; edit the plan file, not this page.",
        "",
        "## Alerts",
        "",
        "Critical alerts (LoopStale, ApiErrorBudgetBurnFast) page through PagerDuty; warnings",
        "post to Slack (deploy/alertmanager/alertmanager.yml). A page that nobody acknowledges",
        "climbs the blocker ladder below.",
        "",
        "## Blockers",
        "",
        "| level | unresolved for | role | who | channel |",
        "| --- | --- | --- | --- | --- |",
    ]
    for n, level in enumerate(policy.blocker_ladder, 1):
        lines.append(
            f"| {n} | {level.after_hours:g} h | {_cell(level.role)} | "
            f"{_holders(plan, level.role)} | {_cell(level.channel)} |"
        )
    lines += [
        "",
        "## Decisions",
        "",
        f"A slip longer than {policy.slip_threshold_days} business day(s), or one that touches "
        f"the launch task `{_cell(policy.launch_task)}`, goes to the {_cell(policy.decision_role)} "
        f"({_holders(plan, policy.decision_role)}) on {_cell(policy.decision_channel)}, for "
        "resourcing or scope trade-offs. Delivery updates go to "
        f"{_cell(policy.delivery_channel)}.",
        "",
    ]
    return "\n".join(lines)


def escalation_md() -> str:
    from marketloop.plan.loader import load_plan

    return ladder_md(load_plan(PLAN), PLAN.relative_to(ROOT).as_posix())
