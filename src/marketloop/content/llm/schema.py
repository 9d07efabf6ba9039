"""Strict JSON schemas for structured output, built from pydantic models.

OpenAI's strict mode accepts a subset of JSON Schema: every object closed
(`additionalProperties: false`) with every property required, optional values as a union with
null, and no length or default keywords. `strict_schema` rewrites a pydantic model's schema into
that subset (fields with defaults become required, as in the SDK's own helper; optional
fields keep their `null` branch). Pydantic still validates the answer against the full model,
so constraints the subset cannot express (string lengths, cross-field rules) come back as
re-ask errors.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import BaseModel

DROPPED = frozenset(
    {"default", "title", "minLength", "maxLength", "examples", "uniqueItems", "format", "pattern"}
)
_NAME = re.compile(r"[^a-zA-Z0-9_-]")


@cache
def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the strict subset (see the module docstring). Built once per
    model and shared: treat it as read-only (copy it to change it)."""
    schema: dict[str, Any] = _strict(model.model_json_schema())
    return schema


def response_format(model: type[BaseModel], *, name: str | None = None) -> dict[str, Any]:
    """`response_format` for chat completions: a strict json_schema named after the model."""
    label = _NAME.sub("_", name or model.__name__)[:64]
    return {
        "type": "json_schema",
        "json_schema": {"name": label, "strict": True, "schema": strict_schema(model)},
    }


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROPPED:
            continue
        if key == "properties":
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        elif key in ("$defs", "definitions"):
            out["$defs"] = {name: _strict(sub) for name, sub in value.items()}
        else:
            out[key] = _strict(value)
    if out.get("type") == "object" or "properties" in out:
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
        out.setdefault("properties", {})
    if "allOf" in out and len(out["allOf"]) == 1:  # pydantic wraps a described $ref in allOf
        out.update(out.pop("allOf")[0])
    return out
