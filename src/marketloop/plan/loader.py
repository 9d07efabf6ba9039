"""Read a plan file: YAML → typed `Plan`, with every error naming the file, line and field.

The YAML is read by yamlguard.py (as loop files are): composed into nodes first, so each value
keeps its line, and pydantic's error locations and the checks' locations are walked back
through those nodes. The resolver is YAML 1.2-like (`14:00` stays a string, dates stay strings
for pydantic to parse, only true/false are booleans; an empty value is null). Duplicate keys,
anchors and aliases are errors.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from marketloop import yamlguard
from marketloop.errors import PlanError
from marketloop.plan.checks import Loc, problems
from marketloop.plan.model import Plan


class PlanFileError(PlanError):
    """A plan file that cannot be read or breaks a rule; a person must edit it."""

    exit_code = 2


def load_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileError(
            f"plan file {path} does not exist",
            hint="pass --plan FILE, set [plan] file in marketloop.toml, or copy "
            "examples/plans/ai-marketing-sprint.yaml to ./plan.yaml",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"cannot read plan file {path}: {exc}") from None
    return parse_plan(text, str(path))


def parse_plan(text: str, name: str = "<plan>") -> Plan:
    root = yamlguard.compose(
        text,
        name,
        PlanFileError,
        loader=yamlguard.EmptyIsNullLoader,
        refused_hint="write the value out in full where it is used",
    )
    data = yamlguard.construct(root, name, PlanFileError, yamlguard.EmptyIsNullLoader)
    if not isinstance(data, dict):
        raise PlanFileError(f"{name}:1: a plan is a mapping (id, calendar, people, tasks, ...)")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        lines = [
            _where(name, root, tuple(err["loc"]), yamlguard.message(err)) for err in exc.errors()
        ]
        raise PlanFileError(
            yamlguard.summary("plan", name, lines), hint="fix the lines named above"
        ) from None
    found = problems(plan)
    if found:
        lines = [_where(name, root, p.loc, p.message) for p in found]
        raise PlanFileError(
            yamlguard.summary("plan", name, lines), hint="fix the lines named above"
        )
    return plan


def _where(name: str, root: yaml.Node, loc: Loc, message: str) -> str:
    return yamlguard.where(name, root, loc, message, top="plan")
