"""Request validation of the fake OpenAI server: the checks the real endpoint makes, with its
messages and `param` values, including the strict structured-output rules for
`response_format: {"type": "json_schema", "json_schema": {"strict": true, ...}}`:

- the root is an object (not `anyOf`);
- every object has `additionalProperties: false` and lists every property in `required`;
- only supported keywords (no `allOf`, `not`, `if`, `minLength`, `default`, ...);
- at most 10 levels of nesting and 5,000 properties.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aiohttp import web

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
UNSUPPORTED = (
    "allOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas",
    "patternProperties", "unevaluatedProperties", "propertyNames", "minProperties",
    "maxProperties", "uniqueItems", "contains", "default", "minLength", "maxLength",
)  # fmt: skip
MAX_DEPTH, MAX_PROPERTIES = 10, 5000


def validate(body: dict[str, Any]) -> web.Response | None:
    """The request checks the real endpoint makes, with its messages and `param` values."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return error(400, "you must provide a model parameter", None)
    messages = body.get("messages")
    if not isinstance(messages, list):
        return error(400, "Missing required parameter: 'messages'.", "messages", "missing_required")
    if not messages:
        return error(400, "[] is too short - 'messages'", "messages", "empty_array")
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            allowed = ", ".join(f"'{r}'" for r in ROLES)
            msg = f"Invalid value: '{role}'. Supported values are: {allowed}."
            return error(400, msg, f"messages[{i}].role", "invalid_value")
    temperature = body.get("temperature", 1)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        msg = f"Invalid 'temperature': expected a number between 0 and 2, got {temperature}."
        return error(400, msg, "temperature", "decimal_above_max_value")
    return _validate_format(body.get("response_format"), messages)


def _validate_format(fmt: Any, messages: list[dict[str, Any]]) -> web.Response | None:
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if fmt is None or kind == "text":
        return None
    if kind == "json_object":
        if "json" in _text(messages).lower():
            return None
        msg = (
            "'messages' must contain the word 'json' in some form, to use 'response_format' "
            "of type 'json_object'."
        )
        return error(400, msg, "messages", None)
    if kind == "json_schema":
        return _validate_json_schema(fmt.get("json_schema"))
    allowed = "'text', 'json_object', 'json_schema'"
    msg = f"Invalid value: '{kind}'. Supported values are: {allowed}."
    return error(400, msg, "response_format.type", "invalid_value")


def _validate_json_schema(spec: Any) -> web.Response | None:
    if not isinstance(spec, dict) or "name" not in spec:
        msg = "Missing required parameter: 'response_format.json_schema.name'."
        return error(400, msg, "response_format.json_schema.name", "missing_required")
    if spec.get("strict") and (problem := strict_problem(spec.get("schema", {}))):
        msg = f"Invalid schema for response_format '{spec['name']}': {problem}"
        return error(400, msg, "response_format", None)
    return None


def strict_problem(schema: Mapping[str, Any]) -> str | None:
    """Why `schema` is not a valid strict schema, worded like the real API; None when it is."""
    if schema.get("type") != "object" or "anyOf" in schema:
        kind = schema.get("type")
        return f"In context=(), schema must be a JSON Schema of 'type: \"object\"', got '{kind}'."
    total = 0
    for path, node in _nodes(schema, ()):
        if problem := _node_problem(path, node):
            return problem
        total += len(node.get("properties", {}))
    if total > MAX_PROPERTIES:
        return f"In context=(), the schema has {total} properties; at most {MAX_PROPERTIES}."
    return None


def _node_problem(path: tuple[str, ...], node: Mapping[str, Any]) -> str | None:
    context = f"In context={path!r}"
    if len(path) > MAX_DEPTH * 2:
        return f"{context}, schema is nested too deeply (more than {MAX_DEPTH} levels)."
    for keyword in UNSUPPORTED:
        if keyword in node:
            return f"{context}, '{keyword}' is not permitted."
    if node.get("type") != "object" and "properties" not in node:
        return None
    if node.get("additionalProperties") is not False:
        return f"{context}, 'additionalProperties' is required to be supplied and to be false."
    missing = [key for key in node.get("properties", {}) if key not in node.get("required", [])]
    if missing:
        return (
            f"{context}, 'required' is required to be supplied and to be an array including "
            f"every key in properties. Missing '{missing[0]}'."
        )
    return None


def _nodes(node: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, node
    for key, sub in node.get("properties", {}).items():
        yield from _nodes(sub, (*path, "properties", key))
    if isinstance(node.get("items"), Mapping):
        yield from _nodes(node["items"], (*path, "items"))
    for i, sub in enumerate(node.get("anyOf", [])):
        yield from _nodes(sub, (*path, "anyOf", str(i)))
    for name, sub in node.get("$defs", {}).items():
        yield from _nodes(sub, ("$defs", name))


def _text(messages: list[dict[str, Any]]) -> str:
    return " ".join(str(m.get("content") or "") for m in messages)


def error(
    status: int,
    message: str,
    param: str | None,
    code: str | None = None,
    *,
    kind: str = "invalid_request_error",
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=headers)
