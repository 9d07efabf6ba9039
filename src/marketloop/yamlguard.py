"""YAML from people, read safely, with every error naming the file and the line.

`check` is the one check before any YAML file is composed: anchors and aliases are refused (a
few lines of aliases expand to billions of values, the "YAML bomb", and an alias inside its own
anchor makes a structure that contains itself), and so is nesting deeper than `MAX_DEPTH`
(PyYAML composes recursively, and takes minutes over a deep flow). It walks the parser's
events, so it costs one pass and no recursion.

The files people write (loop files, plan files) are read through `compose` and `construct`:
the YAML is composed into nodes first, so each value keeps its line, and pydantic's error
locations are walked back through the nodes by `where`. The resolver is YAML 1.2-like (`Loader`):
`14:00` stays a string (YAML 1.1 reads it as the number 840), dates stay strings for pydantic to
parse, only true/false are booleans. Duplicate keys are errors, not silent overwrites. Errors are
raised as the caller's own error class (`error`), so each file kind keeps its exit code.

    root = yamlguard.compose(text, "weekly.yaml", LoopFileError)
    data = yamlguard.construct(root, "weekly.yaml", LoopFileError)
    yamlguard.where("weekly.yaml", root, ("steps", "crawl", "with"), "field required")
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from datetime import date, time
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from marketloop.errors import MarketloopError

MAX_DEPTH = 32
Loc = tuple[str | int, ...]


class YamlRefused(ValueError):
    """YAML that is well-formed but refused; `line` is 1-based."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def check(text: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> None:
    """Raise YamlRefused for an anchor, an alias or deep nesting; yaml.YAMLError for bad YAML."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        line = event.start_mark.line + 1 if event.start_mark else 1
        depth += isinstance(event, yaml.CollectionStartEvent)
        depth -= isinstance(event, yaml.CollectionEndEvent)
        if depth > MAX_DEPTH:
            raise YamlRefused(line, f"nested more than {MAX_DEPTH} levels deep")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            what = "alias *" if isinstance(event, yaml.AliasEvent) else "anchor &"
            raise YamlRefused(line, f"YAML {what}{anchor}: anchors and aliases are not supported")


class Loader(yaml.SafeLoader):
    """YAML 1.2-like scalars: booleans, null, ints and floats only; the rest stay strings."""


Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL)$", "~nN"),
    ("int", r"^[-+]?(?:0|[1-9][0-9_]*)$", "-+0123456789"),
    ("float", r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$", "-+.0123456789"),
):
    Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))


class EmptyIsNullLoader(Loader):
    """`Loader`, and an empty value (`key:`) is null rather than the empty string."""


EmptyIsNullLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def compose(
    text: str,
    name: str,
    error: type[MarketloopError],
    *,
    loader: type[Loader] = Loader,
    refused_hint: str | None = None,
) -> yaml.Node:
    """The document's root node; `error(message)` names `name:line` for bad YAML, an empty
    file, anchors, aliases, deep nesting and duplicate keys."""
    try:
        check(text, loader)
        node = yaml.compose(text, Loader=loader)
    except YamlRefused as exc:
        raise error(f"{name}:{exc.line}: {exc.reason}", hint=refused_hint) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise error(f"{name}:{line}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise error(f"{name}: not valid YAML: {exc}") from None
    if node is None:
        raise error(f"{name}:1: the file is empty")
    _reject_duplicate_keys(node, name, error)
    return node


def construct(
    node: yaml.Node, name: str, error: type[MarketloopError], loader: type[Loader] = Loader
) -> Any:
    """The Python value of a composed document."""
    constructor = loader("")
    try:
        return constructor.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise error(f"{name}:{line}: {exc.problem}") from None
    finally:
        constructor.dispose()


def where(
    name: str,
    root: yaml.Node,
    loc: Loc,
    message: str,
    *,
    top: str,
    keys: Mapping[str, str] | None = None,
) -> str:
    """`name:line: field.path: message` for a location in the document (`keys`: field names
    that differ from their YAML key, such as pydantic's `with_` for `with`; `top`: what to call
    the whole document)."""
    keys = keys or {}
    line = node_at(root, loc, keys).start_mark.line + 1
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{keys.get(p, p)}" for p in loc).lstrip(
        "."
    )
    return f"{name}:{line}: {field or top}: {message}"


def node_at(root: yaml.Node, loc: Loc, keys: Mapping[str, str] | None = None) -> yaml.Node:
    """The deepest node along `loc` (a key for unknown fields, else the value)."""
    keys = keys or {}
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            key = keys.get(str(part), str(part))
            match = next(((k, v) for k, v in node.value if k.value == key), None)
            if match is None:
                return node
            node = (
                match[0] if part == loc[-1] and isinstance(match[1], yaml.MappingNode) else match[1]
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def message(error: Any) -> str:
    """One pydantic error (`ValidationError.errors()` item) as a person reads it."""
    if error["type"] == "missing":
        return "field required"
    if error["type"] == "extra_forbidden":
        return "unknown field (check the spelling)"
    return str(error["msg"]).removeprefix("Value error, ")


def no_boolean_number(model: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """A field validator (`mode="before"`): `true` where a number is expected is refused.

    pydantic reads a boolean as 1 or 0 for an `int` or `float` field (bools are ints in Python),
    so `retries: true` would be one retry. Strings pass on: `${RETRIES}` expands to "3", which
    pydantic then reads as a number. Non-finite numbers are the model's `allow_inf_nan=False`.
    """
    field = model.model_fields.get(info.field_name or "")
    if isinstance(value, bool) and field is not None and _takes_number(field.annotation):
        raise ValueError(f"{str(value).lower()} is a boolean; write a number")
    return value


def no_number_moment(model: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """A field validator (`mode="before"`): a number where a date or a time of day is expected
    (alone or in a list) is refused.

    pydantic reads a number as seconds since 1970 for a `date` and since midnight for a `time`,
    so `start: 20261214` would be 1970-08-23 and `at: 930` 00:15:30, silently."""
    field = model.model_fields.get(info.field_name or "")
    if field is None or not _takes_moment(field.annotation):
        return value
    items = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(item, int | float) for item in items):
        raise ValueError("a number is not a date or time; write 2026-12-14 or 09:30")
    return value


class ExactNumbers(BaseModel):
    """A base for the models of files people write: a boolean, nan or inf where a number is
    expected is an error (`no_boolean_number`, and pydantic's `allow_inf_nan=False`, which
    subclasses' own `model_config` keeps), and so is a number where a date or time of day is
    (`no_number_moment`)."""

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _exact(cls, value: Any, info: ValidationInfo) -> Any:
        return no_number_moment(cls, no_boolean_number(cls, value, info), info)


def only_boolean(model: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """A field validator (`mode="before"`): where a boolean is expected, only true or false.

    pydantic reads 1, 0, "yes", "no", "on", "off", "t", "1" as booleans, so `pull_backlog: 1`
    or `push_to_buffer: "no"` (quoted, or a word our resolver keeps as a string) would pass for
    one. For files without `${VAR}` expansion (plan files): a loop file's variables expand to
    strings, which pydantic must still read.
    """
    field = model.model_fields.get(info.field_name or "")
    if value is None or isinstance(value, bool) or field is None:
        return value
    if _takes_boolean_only(field.annotation):
        kind = "a number" if isinstance(value, int | float) else "a string"
        kind = kind if isinstance(value, int | float | str) else "this value"
        raise ValueError(f"{kind} is not a boolean; write true or false")
    return value


def _takes_boolean_only(annotation: Any) -> bool:
    """Whether a field's type is bool (or bool | None, Annotated bool) and nothing else."""
    return [t for t in _types(annotation) if t is not type(None)] == [bool]


def _takes_moment(annotation: Any) -> bool:
    """Whether a field's type is a date or time of day, or a tuple or list of them."""
    return any(
        isinstance(t, type) and issubclass(t, date | time) for t in _types(annotation, items=True)
    )


def _takes_number(annotation: Any) -> bool:
    """Whether a field's type takes an int or a float, and not a bool."""
    types_ = _types(annotation)
    return bool not in types_ and any(t is int or t is float for t in types_)


def _types(annotation: Any, *, items: bool = False) -> list[Any]:
    """The types a field's annotation admits, through `Annotated` and unions (and, with
    `items`, the items of a tuple or list)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _types(get_args(annotation)[0], items=items)
    if origin is Union or origin is types.UnionType or (items and origin in (tuple, list)):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        return [t for a in args for t in _types(a, items=items)]
    return [annotation]


def summary(kind: str, name: str, lines: list[str]) -> str:
    """`kind file NAME has N problems:` and one line each."""
    noun = "problem" if len(lines) == 1 else "problems"
    return f"{kind} file {name} has {len(lines)} {noun}:\n  " + "\n  ".join(lines)


def _reject_duplicate_keys(node: yaml.Node, name: str, error: type[MarketloopError]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if not isinstance(key, yaml.ScalarNode):  # `[a]: x`, `{a: b}: x`, `? - a`
                raise error(f"{name}:{line}: a key must be a plain name, not a list or a mapping")
            if key.value in seen:
                raise error(
                    f"{name}:{line}: duplicate key {key.value!r} (first on line {seen[key.value]})"
                )
            seen[key.value] = line
            _reject_duplicate_keys(value, name, error)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(item, name, error)
