"""How the fake Notion answers `POST /v1/data_sources/{id}/query`: which body keys it accepts,
filters (checked by `notion_rules`), `sorts` (property and timestamp sorts, in order) and the
`filter_properties` query parameter (only those property values in each page).

Pure functions; each raises `NotionStoreError` with Notion's 400 `validation_error` when the
request is one Notion would refuse or one the fake does not implement (named in the
message).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from marketloop.fakes import notion_filter as filters
from marketloop.fakes import notion_rules as rules
from marketloop.fakes.notion_rules import invalid

Json = dict[str, Any]
BODY_KEYS = frozenset(
    {"filter", "sorts", "start_cursor", "page_size", "archived", "in_trash", "result_type"}
)
TIMESTAMPS = ("created_time", "last_edited_time")
DIRECTIONS = ("ascending", "descending")


def check_body(body: Json) -> None:
    """Refuse keys Notion does not know, and the documented ones the fake does not implement."""
    for key in body:
        if key not in BODY_KEYS:
            raise invalid(rules.failed(f"body.{key}", "not present", body[key]))
    if body.get("in_trash") or body.get("archived"):
        key = "in_trash" if body.get("in_trash") else "archived"
        raise invalid(f"body.{key}: querying pages in the trash is not implemented by this fake.")
    if body.get("result_type") not in (None, "page"):
        raise invalid(
            f"body.result_type: only `page` is implemented by this fake, "
            f"instead was `{body['result_type']}`."
        )


def check_sorts(sorts: Any, schema: Json) -> list[tuple[str, str, bool]]:
    """`sorts` as (kind, key, descending), kind "property" or "timestamp"."""
    if sorts is None:
        return []
    if not isinstance(sorts, list):
        raise invalid(rules.failed("body.sorts", "an array", type(sorts).__name__))
    parsed = []
    for index, sort in enumerate(sorts):
        where = f"body.sorts[{index}]"
        if not isinstance(sort, dict):
            raise invalid(rules.failed(where, "an object", type(sort).__name__))
        direction = sort.get("direction")
        if direction not in DIRECTIONS:
            raise invalid(
                rules.failed(f"{where}.direction", "`ascending` or `descending`", direction)
            )
        if "property" in sort:
            name = _property_name(str(sort["property"]), schema)
            if name is None:
                raise invalid(f"Could not find sort property with name or id: {sort['property']}")
            parsed.append(("property", name, direction == "descending"))
        elif sort.get("timestamp") in TIMESTAMPS:
            parsed.append(("timestamp", str(sort["timestamp"]), direction == "descending"))
        else:
            raise invalid(
                rules.failed(
                    f"{where}.timestamp",
                    "`created_time` or `last_edited_time`",
                    sort.get("timestamp"),
                )
            )
    return parsed


def sort_pages(pages: list[Json], sorts: Sequence[tuple[str, str, bool]]) -> list[Json]:
    """Pages sorted: the last sort applied first, so the first sort wins; empty values last
    whatever the direction (the fake's choice: Notion documents none). Unsorted: as created."""
    ordered = list(pages)
    for kind, key, descending in reversed(sorts):
        values = [page[key] if kind == "timestamp" else _value(page, key) for page in ordered]
        filled = [(_sortable(v), n) for n, v in enumerate(values) if v not in (None, "", [])]
        filled.sort(key=operator.itemgetter(0), reverse=descending)  # stable: keeps ties
        empty = [n for n, v in enumerate(values) if v in (None, "", [])]
        ordered = [ordered[n] for n in [n for _, n in filled] + empty]
    return ordered


def only_properties(pages: list[Json], wanted: Sequence[str], schema: Json) -> list[Json]:
    """Pages with only the property values named (by id or name) in `filter_properties`."""
    if not wanted:
        return pages
    names = set()
    for item in wanted:
        name = _property_name(item, schema)
        if name is None:
            raise invalid(f"Could not find property with name or id: {item}")
        names.add(name)
    return [
        {**page, "properties": {k: v for k, v in page["properties"].items() if k in names}}
        for page in pages
    ]


def _property_name(name_or_id: str, schema: Json) -> str | None:
    if name_or_id in schema:
        return name_or_id
    return next((n for n, column in schema.items() if column["id"] == name_or_id), None)


def _value(page: Json, name: str) -> Any:
    return filters.comparable(page["properties"][name])


def _sortable(value: Any) -> Any:
    if isinstance(value, list):
        return ",".join(sorted(str(v) for v in value))
    return value.casefold() if isinstance(value, str) else value
