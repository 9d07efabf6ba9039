"""Query filters of the fake Notion: the property conditions Notion documents for each
property type (all implemented), `and`/`or` groups, and a 400 `validation_error` naming anything
else (an unknown property, a condition the type does not have, a timestamp filter).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from marketloop.fakes.notion_rules import failed

Json = dict[str, Any]


def check_filter(filter_: Any, schema: Json) -> str | None:
    if filter_ is None:
        return None
    if not isinstance(filter_, dict):
        return failed("body.filter", "an object", type(filter_).__name__)
    for group in ("and", "or"):
        if group in filter_:
            problems = (check_filter(f, schema) for f in filter_[group])
            return next((p for p in problems if p), None)
    if "property" not in filter_:
        given = "timestamp" if "timestamp" in filter_ else ", ".join(sorted(filter_)) or "{}"
        return (
            f"body.filter: `{given}` filters are not implemented by this fake "
            "(property filters, `and` and `or` are)."
        )
    name = str(filter_.get("property"))
    column = schema.get(name)
    if column is None:
        return f"Could not find property with name or id: {name}"
    return _check_condition(filter_, column["type"])


def _check_condition(filter_: Json, kind: str) -> str | None:
    accepted = {kind, "rich_text"} if kind == "title" else {kind}
    given = accepted & filter_.keys()
    if not given:
        return failed(f"body.filter.{kind}", "defined", "undefined")
    condition = filter_[next(iter(given))]
    if not isinstance(condition, dict) or len(condition) != 1:
        return failed(f"body.filter.{kind}", "an object with one condition", condition)
    op = next(iter(condition))
    allowed = FILTER_OPERATORS.get(kind, ())
    if op not in allowed:
        return failed(f"body.filter.{kind}.{op}", "one of " + ", ".join(allowed), "present")
    return None


def matches(page: Json, filter_: Json | None) -> bool:
    """Whether `page` passes a query filter (property filters, `and`, `or`)."""
    if not filter_:
        return True
    if "and" in filter_:
        return all(matches(page, f) for f in filter_["and"])
    if "or" in filter_:
        return any(matches(page, f) for f in filter_["or"])
    prop = page["properties"][filter_["property"]]
    condition = next(v for k, v in filter_.items() if k != "property")
    return _compare(comparable(prop), condition)


def comparable(prop: Json) -> Any:
    """A property value as filters and sorts see it: text, option name, number, or a list of
    option names or user ids."""
    value = prop[prop["type"]]
    if prop["type"] in {"title", "rich_text"}:
        return "".join(item["plain_text"] for item in value)
    if prop["type"] in {"select", "status"}:
        return (value or {}).get("name")
    if prop["type"] == "multi_select":
        return [option["name"] for option in value or []]
    if prop["type"] == "people":
        return [person["id"] for person in value or []]
    return value


def _compare(actual: Any, condition: Json) -> bool:
    op, expected = next(iter(condition.items()))
    return bool(_OPERATORS[op](actual, expected))


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        return expected in actual
    return str(expected) in str(actual or "")


_EMPTY: tuple[Any, ...] = (None, "", [])
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "equals": operator.eq,
    "does_not_equal": operator.ne,
    "contains": _contains,
    "does_not_contain": lambda actual, expected: not _contains(actual, expected),
    "starts_with": lambda actual, expected: str(actual or "").startswith(str(expected)),
    "ends_with": lambda actual, expected: str(actual or "").endswith(str(expected)),
    "is_empty": lambda actual, _: actual in _EMPTY,
    "is_not_empty": lambda actual, _: actual not in _EMPTY,
    "greater_than": lambda actual, expected: actual is not None and actual > expected,
    "less_than": lambda actual, expected: actual is not None and actual < expected,
    "greater_than_or_equal_to": lambda actual, expected: actual is not None and actual >= expected,
    "less_than_or_equal_to": lambda actual, expected: actual is not None and actual <= expected,
}
_TEXT = ("equals", "does_not_equal", "contains", "does_not_contain", "starts_with", "ends_with")
_NUMBER = ("equals", "does_not_equal", "greater_than", "less_than", "greater_than_or_equal_to")
_BOTH = ("is_empty", "is_not_empty")
#: the conditions Notion documents per property type (all of them are implemented)
FILTER_OPERATORS: dict[str, tuple[str, ...]] = {
    "title": (*_TEXT, *_BOTH),
    "rich_text": (*_TEXT, *_BOTH),
    "number": (*_NUMBER, "less_than_or_equal_to", *_BOTH),
    "select": ("equals", "does_not_equal", *_BOTH),
    "status": ("equals", "does_not_equal", *_BOTH),
    "multi_select": ("contains", "does_not_contain", *_BOTH),
    "people": ("contains", "does_not_contain", *_BOTH),
}
