"""Read a plan file: YAML → typed `Plan`, with every error naming the file, line and field.

The YAML is composed into nodes first, so each value keeps its position (`start_mark`);
pydantic's error locations and the checks' locations are walked back through those nodes to a
line number. The resolver is YAML 1.2-like: `14:00` stays a string (YAML 1.1 reads it as the
sexagesimal number 840), dates stay strings for pydantic to parse, and only true/false are
booleans. Duplicate keys are errors, not silent overwrites, and so are anchors and aliases
(an alias inside its own anchor would make a plan that contains itself).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from marketloop import yamlguard
from marketloop.errors import PlanError
from marketloop.plan.checks import Loc, problems
from marketloop.plan.model import Plan


class PlanFileError(PlanError):
    """A plan file that cannot be read or breaks a rule; a person must edit it."""

    exit_code = 2


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL)$", "~nN"),
    ("int", r"^[-+]?(?:0|[1-9][0-9_]*)$", "-+0123456789"),
    ("float", r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$", "-+.0123456789"),
):
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


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
    root = _compose(text, name)
    data = _construct(root, name)
    if not isinstance(data, dict):
        raise PlanFileError(f"{name}:1: a plan is a mapping (id, calendar, people, tasks, ...)")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        lines = [_where(name, root, tuple(err["loc"]), _message(err)) for err in exc.errors()]
        raise PlanFileError(_summary(name, lines), hint="fix the lines named above") from None
    found = problems(plan)
    if found:
        lines = [_where(name, root, p.loc, p.message) for p in found]
        raise PlanFileError(_summary(name, lines), hint="fix the lines named above")
    return plan


def _compose(text: str, name: str) -> yaml.Node:
    try:
        yamlguard.check(text, _Loader)
        node = yaml.compose(text, Loader=_Loader)
    except yamlguard.YamlRefused as exc:
        raise PlanFileError(
            f"{name}:{exc.line}: {exc.reason} in plan files",
            hint="write the value out in full where it is used",
        ) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise PlanFileError(f"{name}:{line}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise PlanFileError(f"{name}: not valid YAML: {exc}") from None
    if node is None:
        raise PlanFileError(f"{name}:1: the plan file is empty")
    _reject_duplicate_keys(node, name)
    return node


def _construct(node: yaml.Node, name: str) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise PlanFileError(f"{name}:{line}: {exc.problem}") from None
    finally:
        loader.dispose()


def _reject_duplicate_keys(node: yaml.Node, name: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.value in seen:
                raise PlanFileError(
                    f"{name}:{line}: duplicate key {key.value!r} (first on line {seen[key.value]})"
                )
            seen[key.value] = line
            _reject_duplicate_keys(value, name)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(item, name)


def _node_at(root: yaml.Node, loc: Loc) -> yaml.Node:
    """The deepest node along `loc` (a key for unknown fields, else the value)."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                return node
            key, value = match
            node = key if part == loc[-1] and isinstance(value, yaml.MappingNode) else value
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def _where(name: str, root: yaml.Node, loc: Loc, message: str) -> str:
    line = _node_at(root, loc).start_mark.line + 1
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return f"{name}:{line}: {field or 'plan'}: {message}"


def _message(error: Any) -> str:
    message = str(error["msg"])
    if error["type"] == "missing":
        return "field required"
    if error["type"] == "extra_forbidden":
        return "unknown field (check the spelling)"
    return message.removeprefix("Value error, ")


def _summary(name: str, lines: list[str]) -> str:
    noun = "problem" if len(lines) == 1 else "problems"
    return f"plan file {name} has {len(lines)} {noun}:\n  " + "\n  ".join(lines)
