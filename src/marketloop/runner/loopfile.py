"""Read a loop file: YAML → typed `Loop`, with every error naming the file, line and field.

As with plan files, the YAML is read by yamlguard.py: composed into nodes first so that each
value keeps its line, pydantic's error locations and the checks' locations walked back through
the nodes; duplicate keys, anchors, aliases and deep nesting are refused. Strings may name
environment variables, `${NAME}` or `${NAME:-default}`; a variable that is not set and has no
default is an error. Beyond the schema, `check` refuses unknown actions, arguments an action
does not take, unknown or cyclic `needs`, and a gate on a step whose action yields no gate
result.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from marketloop import yamlguard
from marketloop.errors import RunnerError
from marketloop.runner.dag import find_cycle
from marketloop.runner.model import Loop

Loc = yamlguard.Loc
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class LoopFileError(RunnerError):
    """A loop file that cannot be read or breaks a rule; a person must edit it."""

    exit_code = 2
    http_status = 422


#: a loop file's size: 500 steps fit in a tenth of it; more is not a loop file (/dev/zero)
MAX_BYTES = 1_000_000


def load_loop(path: Path) -> Loop:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise LoopFileError(f"loop file {path} is larger than {MAX_BYTES:,} bytes")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise LoopFileError(
            f"loop file {path} does not exist", hint="see examples/loops/ for loop files"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoopFileError(f"cannot read loop file {path}: {exc}") from None
    return parse_loop(text, str(path))


def parse_loop(text: str, name: str = "<loop>") -> Loop:
    root = yamlguard.compose(
        text, name, LoopFileError, refused_hint="write the value out in full where it is used"
    )
    data = yamlguard.construct(root, name, LoopFileError)
    if not isinstance(data, dict):
        raise LoopFileError(f"{name}:1: a loop file is a mapping (name, steps, ...)")
    data, problems = _expand(data, ())
    if not problems:
        try:
            loop = Loop.model_validate(data)
        except ValidationError as exc:
            problems = [(tuple(e["loc"]), yamlguard.message(e)) for e in exc.errors()]
        else:
            problems = check(loop)
    if problems:
        lines = [_where(name, root, loc, message) for loc, message in problems]
        raise LoopFileError(
            yamlguard.summary("loop", name, lines), hint="fix the lines named above"
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
            found += [((*where, "with", *e["loc"]), yamlguard.message(e)) for e in exc.errors()]
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
                    found += [
                        ((*where, "gate", *e["loc"]), yamlguard.message(e)) for e in exc.errors()
                    ]
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


def _where(name: str, root: yaml.Node, loc: Loc, message: str) -> str:
    return yamlguard.where(name, root, loc, message, top="loop", keys={"with_": "with"})
