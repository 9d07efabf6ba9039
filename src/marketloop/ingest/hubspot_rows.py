"""HubSpot records as warehouse rows (pure functions, no I/O).

HubSpot returns every property value as a string. The contract's columns are typed here
(dates → TIMESTAMP, `amount` → DOUBLE); properties a user adds in `[hubspot.properties]` arrive
as text columns, so a new property becomes a new column. `hs_lastmodifieddate` is the record's
`updatedAt` (contacts name the property `lastmodifieddate`), `archived`/`archived_at` say
whether HubSpot archived it: archived records are marked, never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from marketloop.ingest.config import HubspotObject

PROPERTIES: dict[HubspotObject, tuple[str, ...]] = {
    "contacts": (
        "email",
        "firstname",
        "lastname",
        "lifecyclestage",
        "hs_analytics_first_url",
        "hs_analytics_source",
        "createdate",
        "lastmodifieddate",
    ),
    "companies": ("name", "domain", "industry", "createdate", "hs_lastmodifieddate"),
    "deals": (
        "dealname",
        "amount",
        "dealstage",
        "pipeline",
        "closedate",
        "createdate",
        "hs_lastmodifieddate",
    ),
}
MODIFIED: dict[HubspotObject, str] = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
TIMESTAMPS = frozenset({"createdate", "closedate", "hs_lastmodifieddate"})
NUMBERS = frozenset({"amount"})
TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Association:
    """The link table one object's records carry: contacts → contact_companies, ..."""

    to: str
    table: str
    own_id: str
    other_id: str


ASSOCIATIONS: dict[HubspotObject, Association] = {
    "contacts": Association("companies", "contact_companies", "contact_id", "company_id"),
    "deals": Association("contacts", "deal_contacts", "deal_id", "contact_id"),
}


def requested(obj: HubspotObject, extra: Sequence[str]) -> list[str]:
    """The properties to ask HubSpot for: the contract's, then the configured ones."""
    return list(dict.fromkeys([*PROPERTIES[obj], *extra]))


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    if text.isdigit():  # some date properties come as epoch milliseconds
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def times(values: Sequence[str | None]) -> pa.Array:
    """ISO 8601 strings as UTC timestamps: vectorised, with a per-value fallback for dates
    without a time or epoch milliseconds."""
    try:
        return pa.array(values, pa.string()).cast(TS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([parse_time(v) for v in values], TS)


def numbers(values: Sequence[str | None]) -> pa.Array:
    return pa.array([v or None for v in values], pa.string()).cast(pa.float64())


def columns_of(obj: HubspotObject, extra: Sequence[str]) -> list[str]:
    tail = ("hs_lastmodifieddate", "archived", "archived_at")
    names = [p for p in requested(obj, extra) if p not in (MODIFIED[obj], "id", *tail)]
    return ["id", *names, *tail]


def _field(name: str) -> pa.Field:
    if name == "id":
        return pa.field("id", pa.string(), nullable=False)
    if name in TIMESTAMPS or name == "archived_at":
        return pa.field(name, TS)
    if name in NUMBERS:
        return pa.field(name, pa.float64())
    if name == "archived":
        return pa.field(name, pa.bool_())
    return pa.field(name, pa.string())


def records_table(
    obj: HubspotObject, records: Sequence[Mapping[str, Any]], extra: Sequence[str]
) -> pa.Table:
    """One page of records as a typed table with the contract's columns plus `extra`."""
    names = columns_of(obj, extra)
    props = [record.get("properties") or {} for record in records]
    modified = MODIFIED[obj]
    columns: dict[str, Any] = {"id": [str(record["id"]) for record in records]}
    for name in names[1:-3]:
        raw = [p.get(name) for p in props]
        columns[name] = (
            times(raw) if name in TIMESTAMPS else numbers(raw) if name in NUMBERS else raw
        )
    columns["hs_lastmodifieddate"] = times(
        [p.get(modified) or r.get("updatedAt") for p, r in zip(props, records, strict=True)]
    )
    columns["archived"] = [bool(record.get("archived", False)) for record in records]
    columns["archived_at"] = times([record.get("archivedAt") for record in records])
    return pa.table(columns, schema=pa.schema([_field(n) for n in names]))


def inline_links(obj: HubspotObject, records: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Association rows from list results (`associations.{to}.results[].id`)."""
    link = ASSOCIATIONS[obj]
    pairs = [
        (str(record["id"]), str(other["id"]))
        for record in records
        for other in ((record.get("associations") or {}).get(link.to) or {}).get("results", [])
    ]
    return links_table(link, pairs)


def batch_links(obj: HubspotObject, results: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Association rows from a v4 batch read (`results[].from.id` → `to[].toObjectId`)."""
    link = ASSOCIATIONS[obj]
    pairs = [
        (str(result["from"]["id"]), str(other["toObjectId"]))
        for result in results
        for other in result.get("to", [])
    ]
    return links_table(link, pairs)


def links_table(link: Association, pairs: Sequence[tuple[str, str]]) -> pa.Table:
    unique = sorted(set(pairs))
    schema = pa.schema(
        [
            pa.field(link.own_id, pa.string(), nullable=False),
            pa.field(link.other_id, pa.string(), nullable=False),
        ]
    )
    return pa.table(
        {link.own_id: [a for a, _ in unique], link.other_id: [b for _, b in unique]}, schema=schema
    )


def newest_modified(table: pa.Table) -> datetime | None:
    if table.num_rows == 0:
        return None
    value = pc.max(table.column("hs_lastmodifieddate")).as_py()
    return value if isinstance(value, datetime) else None


class Batcher:
    """Joins small pages into tables of at least `rows` rows: dlt's cost is per item, and
    HubSpot pages hold only 100 records. Memory stays bounded by one batch."""

    def __init__(self, rows: int = 10_000) -> None:
        self.rows = rows
        self._tables: list[pa.Table] = []
        self._count = 0

    def add(self, table: pa.Table) -> list[pa.Table]:
        if table.num_rows:
            self._tables.append(table)
            self._count += table.num_rows
        return self.flush() if self._count >= self.rows else []

    def flush(self) -> list[pa.Table]:
        if not self._tables:
            return []
        joined = pa.concat_tables(self._tables)
        self._tables, self._count = [], 0
        return [joined]
