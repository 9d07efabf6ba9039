"""Read a loop file: YAML → typed `Loop`, with every error naming the file, line and field.

As with plan files (plan/loader.py), the YAML is composed into nodes first so that each value
keeps its line; pydantic's error locations and the checks' locations are walked back through
the nodes. Duplicate keys, anchors and aliases are refused. Strings may name environment
variables, `${NAME}` or `${NAME:-default}`; a variable that is not set and has no default is an
error. Beyond the schema, `check` refuses unknown actions, arguments an action does not take,
unknown or cyclic `needs`, and a gate on a step whose action yields no gate result.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from marketloop.errors import RunnerError
from marketloop.runner.dag import find_cycle
from marketloop.runner.model import Loop

Loc = tuple[str | int, ...]
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class LoopFileError(RunnerError):
    """A loop file that cannot be read or breaks a rule; a person must edit it."""

    exit_code = 2
    http_status = 422


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


def load_loop(path: Path) -> Loop:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoopFileError(
            f"loop file {path} does not exist", hint="see examples/loops/ for loop files"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoopFileError(f"cannot read loop file {path}: {exc}") from None
    return parse_loop(text, str(path))


def parse_loop(text: str, name: str = "<loop>") -> Loop:
    root = _compose(text, name)
    data = _construct(root, name)
    if not isinstance(data, dict):
        raise LoopFileError(f"{name}:1: a loop file is a mapping (name, steps, ...)")
    data, problems = _expand(data, ())
    if not problems:
        try:
            loop = Loop.model_validate(data)
        except ValidationError as exc:
            problems = [(tuple(e["loc"]), _message(e)) for e in exc.errors()]
        else:
            problems = check(loop)
    if problems:
        lines = [_where(name, root, loc, message) for loc, message in problems]
        noun = "problem" if len(lines) == 1 else "problems"
        raise LoopFileError(
            f"loop file {name} has {len(lines)} {noun}:\n  " + "\n  ".join(lines),
            hint="fix the lines named above",
        )
    return loop


def check(loop: Loop) -> list[tuple[Loc, str]]:
    """What breaks a rule beyond the schema, each with its location in the file."""
    from marketloop.actions import registry

    actions = registry()
    found: list[tuple[Loc, str]] = []
    for name, step in loop.steps.items():
        where: Loc = ("steps", name)
        action = actions.get(step.action)
        if action is None:
            found.append(((*where, "action"), f"unknown action {step.action!r}"))
            continue
        try:
            action.parse_args(step.with_)
        except ValidationError as exc:
            found += [((*where, "with", *e["loc"]), _message(e)) for e in exc.errors()]
        for i, need in enumerate(step.needs):
            if need not in loop.steps:
                found.append(((*where, "needs", i), f"unknown step {need!r}"))
            elif need == name:
                found.append(((*where, "needs", i), "a step cannot need itself"))
        if isinstance(step.gate, dict):
            if action.gate is None:
                found.append(
                    (
                        (*where, "gate"),
                        f"action {step.action} yields no gate result; only `gate: manual` fits it",
                    )
                )
            else:
                try:
                    action.gate.model_validate(step.gate)
                except ValidationError as exc:
                    found += [((*where, "gate", *e["loc"]), _message(e)) for e in exc.errors()]
    cycle = find_cycle({n: [x for x in s.needs if x != n] for n, s in loop.steps.items()})
    if cycle:
        found.append((("steps", cycle[0], "needs"), "cycle: " + " → ".join(cycle)))
    return found


def _expand(value: Any, loc: Loc) -> tuple[Any, list[tuple[Loc, str]]]:
    """`${NAME}` and `${NAME:-default}` in strings, from the environment."""
    problems: list[tuple[Loc, str]] = []
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out[key], found = _expand(item, (*loc, key))
            problems += found
        return out, problems
    if isinstance(value, list):
        items = []
        for i, item in enumerate(value):
            expanded, found = _expand(item, (*loc, i))
            items.append(expanded)
            problems += found
        return items, problems
    if not isinstance(value, str):
        return value, problems

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        problems.append((loc, f"environment variable {name} is not set (or write ${{{name}:-x}})"))
        return ""

    return VARIABLE.sub(substitute, value), problems


def _compose(text: str, name: str) -> yaml.Node:
    try:
        node = yaml.compose(text, Loader=_Loader)
        events = list(yaml.parse(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise LoopFileError(f"{name}:{line}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise LoopFileError(f"{name}: not valid YAML: {exc}") from None
    if node is None:
        raise LoopFileError(f"{name}:1: the loop file is empty")
    for event in events:
        if getattr(event, "anchor", None) is not None:
            line = event.start_mark.line + 1 if event.start_mark else 1
            raise LoopFileError(f"{name}:{line}: YAML anchors and aliases are not supported")
    _reject_duplicate_keys(node, name)
    return node


def _construct(node: yaml.Node, name: str) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise LoopFileError(f"{name}:{line}: {exc.problem}") from None
    finally:
        loader.dispose()


def _reject_duplicate_keys(node: yaml.Node, name: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.value in seen:
                raise LoopFileError(
                    f"{name}:{line}: duplicate key {key.value!r} (first on line {seen[key.value]})"
                )
            seen[key.value] = line
            _reject_duplicate_keys(value, name)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(item, name)


def _node_at(root: yaml.Node, loc: Loc) -> yaml.Node:
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            key = "with" if part == "with_" else str(part)
            match = next(((k, v) for k, v in node.value if k.value == key), None)
            if match is None:
                return node
            node = (
                match[0] if part == loc[-1] and isinstance(match[1], yaml.MappingNode) else match[1]
            )
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            return node
    return node


def _where(name: str, root: yaml.Node, loc: Loc, message: str) -> str:
    line = _node_at(root, loc).start_mark.line + 1
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return f"{name}:{line}: {field.replace('with_', 'with') or 'loop'}: {message}"


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "field required"
    if error["type"] == "extra_forbidden":
        return "unknown field (check the spelling)"
    return str(error["msg"]).removeprefix("Value error, ")
