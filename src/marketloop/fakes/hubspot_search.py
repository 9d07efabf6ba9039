"""The HubSpot fake's search endpoint: filterGroups (OR of ANDed filters, every documented
operator), `query` (a word of a default searchable property starts with it, case-insensitive),
one sort, paging by offset `after`, and the cap of 10,000 results per query (a 400 for `after` at
or past it).

A search on the modified date, sorted ascending, walks the modified-date index; any other
search scans every record (fine for the small portals tests use).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from marketloop.fakes.hubspot_data import MODIFIED, HubspotData

OPERATORS = {
    "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "HAS_PROPERTY", "NOT_HAS_PROPERTY", "IN", "NOT_IN",
    "BETWEEN", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
}  # fmt: skip
#: the default searchable properties a `query` matches, per object (HubSpot's documented ones)
SEARCHABLE = {
    "contacts": ("firstname", "lastname", "email", "phone", "company"),
    "companies": ("name", "domain", "website", "phone"),
    "deals": ("dealname", "pipeline", "dealstage", "description", "dealtype"),
}


class SearchError(ValueError):
    pass


def parse_moment(value: str) -> datetime:
    """HubSpot accepts datetimes as epoch milliseconds or ISO 8601."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _matches(props: dict[str, Any], flt: dict[str, Any]) -> bool:
    op, have = flt.get("operator", "EQ"), props.get(flt.get("propertyName", ""))
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return bool((have not in (None, "")) == (op == "HAS_PROPERTY"))
    if op in ("IN", "NOT_IN"):  # HubSpot compares lowercased strings for IN
        values = {str(v).lower() for v in flt.get("values") or []}
        return bool((str(have or "").lower() in values) == (op == "IN"))
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        found = _has_token(str(have or ""), str(flt.get("value", "")))
        return bool(found == (op == "CONTAINS_TOKEN"))
    if have is None:
        return False
    if op == "BETWEEN":
        low = {**flt, "operator": "GTE"}
        high = {**flt, "operator": "LTE", "value": flt.get("highValue", "")}
        return _matches(props, low) and _matches(props, high)
    return _compare(str(have), op, str(flt.get("value", "")))


def _compare(have: str, op: str, want: str) -> bool:
    """Datetimes as moments, numbers as numbers, anything else as strings."""
    left: Any
    right: Any
    if want.isdigit() and "T" in have:
        left, right = parse_moment(have), parse_moment(want)
    else:
        try:
            left, right = float(have), float(want)
        except ValueError:
            left, right = have, want
    return bool(
        {
            "EQ": left == right,
            "NEQ": left != right,
            "GT": left > right,
            "GTE": left >= right,
            "LT": left < right,
            "LTE": left <= right,
        }[op]
    )


def _has_token(text: str, token: str) -> bool:
    """A word of `text` equals `token`; `*` in the token matches any characters."""
    pattern = re.escape(token.lower()).replace(r"\*", ".*")
    return any(re.fullmatch(pattern, word) for word in re.split(r"[^\w@.*-]+", text.lower()))


def matches_query(props: dict[str, Any], query: str) -> bool:
    words = query.lower().split()
    texts = [str(v).lower() for v in props.values() if v]
    tokens = [w for t in texts for w in [*re.split(r"[\W_]+", t), t]]
    return all(any(token.startswith(word) for token in tokens) for word in words)


def _validate(body: dict[str, Any]) -> tuple[list[list[dict[str, Any]]], int, int]:
    listed = body.get("filterGroups", [])
    if not isinstance(listed, list) or not all(
        isinstance(g, dict) and isinstance(g.get("filters", []), list) for g in listed
    ):
        raise SearchError("filterGroups must be a list of objects with a list of filters")
    groups = [g.get("filters", []) for g in listed]
    if any(not isinstance(f, dict) for g in groups for f in g):
        raise SearchError("each filter must be an object")
    if len(groups) > 5 or any(len(g) > 6 for g in groups):
        raise SearchError("Too many filters: at most 5 filterGroups of at most 6 filters")
    for flt in itertools.chain(*groups):
        if flt.get("operator") not in OPERATORS:
            raise SearchError(f"Unsupported operator {flt.get('operator')!r}")
        if flt["operator"] in ("IN", "NOT_IN") and not isinstance(flt.get("values"), list):
            raise SearchError(f"Operator {flt['operator']} requires a list of values")
        if flt["operator"] == "BETWEEN" and "highValue" not in flt:
            raise SearchError("Operator BETWEEN requires value and highValue")
    try:
        limit, after = int(body.get("limit", 10)), int(body.get("after", 0) or 0)
    except (TypeError, ValueError):
        raise SearchError("limit and after must be integers") from None
    if not 1 <= limit <= 200:
        raise SearchError(f"limit must be between 1 and 200, was {limit}")
    return groups, limit, after


def _sort(body: dict[str, Any]) -> tuple[str | None, bool]:
    sorts = body.get("sorts") or []
    if len(sorts) > 1:
        raise SearchError("Only one sort is supported")
    if not sorts:
        return None, True
    sort = sorts[0]
    if isinstance(sort, str):
        return sort.lstrip("-"), not sort.startswith("-")
    return sort.get("propertyName"), sort.get("direction", "ASCENDING") == "ASCENDING"


def _candidates(
    data: HubspotData, obj: str, body: dict[str, Any], groups: list[list[dict[str, Any]]]
) -> Iterable[int]:
    prop, ascending = _sort(body)
    modified = MODIFIED[obj]
    only = groups[0] if len(groups) == 1 and len(groups[0]) == 1 else []
    query = str(body.get("query") or "").strip()
    if (
        not query
        and only
        and only[0]["propertyName"] == modified
        and only[0]["operator"] in ("GT", "GTE")
        and prop in (None, modified)
        and ascending
    ):
        return data.by_modified(
            obj, parse_moment(str(only[0]["value"])), only[0]["operator"] == "GT"
        )
    hits = []
    for index in range(data.counts[obj]):
        if data.archived(obj, index):
            continue
        searched = SEARCHABLE[obj] if query else ()
        props = data.record(
            obj,
            index,
            [f["propertyName"] for f in itertools.chain(*groups)]
            + ([prop] if prop else [])
            + list(searched),
        )["properties"]
        if query and not matches_query({k: props.get(k) for k in searched}, query):
            continue
        if not groups or any(all(_matches(props, f) for f in g) for g in groups):
            hits.append((str(props.get(prop) or "") if prop else "", index))
    hits.sort(reverse=not ascending)
    return [index for _, index in hits]


def run_search(data: HubspotData, obj: str, body: dict[str, Any], *, cap: int) -> dict[str, Any]:
    groups, limit, after = _validate(body)
    if after >= cap:
        raise SearchError(
            f"Search results are limited to {cap:,} per query; after={after} is past them"
        )
    wanted = list(body.get("properties") or [])
    matched: Iterator[int] = iter(_candidates(data, obj, body, groups))
    total = 0
    page = []
    for position, index in enumerate(matched):
        total = position + 1
        if after <= position < after + limit:
            page.append(data.record(obj, index, wanted))
    response: dict[str, Any] = {"total": total, "results": page}
    if after + limit < total:
        response["paging"] = {"next": {"after": str(after + limit)}}
    return response
