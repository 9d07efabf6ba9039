"""JSON-LD blocks of a page (pure): the `@type` values of the valid ones, a message per invalid one.

A block is invalid when it is not JSON, when it is not an object or a list of objects, when it
has no `@context`, or when one of its nodes has no `@type`. Messages name the block by its
position on the page (`block 2: ...`) so a person can find it.
"""

from __future__ import annotations

import json
from typing import Any


def inspect(blocks: list[str]) -> tuple[list[str], list[str]]:
    types: list[str] = []
    errors: list[str] = []
    for position, raw in enumerate(blocks, start=1):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(
                f"block {position}: invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            )
            continue
        except (ValueError, RecursionError) as exc:  # an int over 4300 digits; deep nesting
            errors.append(f"block {position}: invalid JSON: {_reason(exc)}")
            continue
        problem = _problem(data)
        if problem:
            errors.append(f"block {position}: {problem}")
        else:
            types.extend(t for t in _types(data) if t not in types)
    return types, errors


def _reason(exc: ValueError | RecursionError) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    return str(exc).split(";", 1)[0]


def _problem(data: Any) -> str | None:
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        return "not a JSON object"
    for item in items:
        if "@context" not in item:
            return "no @context"
        nodes = item["@graph"] if isinstance(item.get("@graph"), list) else [item]
        for node in nodes:
            if not isinstance(node, dict) or not node.get("@type"):
                return "a node has no @type"
    return None


def _types(data: Any) -> list[str]:
    found: list[str] = []
    for item in data if isinstance(data, list) else [data]:
        nodes = item["@graph"] if isinstance(item.get("@graph"), list) else [item]
        for node in nodes:
            value = node["@type"]
            found.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    return found
