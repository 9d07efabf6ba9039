"""What the warehouse holds: tables per dataset, their columns, row counts and dlt's load log.

Read through one short-lived connection (`warehouse.connect`) before and after dbt runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from marketloop.quality.contract import DLT_LOADS
from marketloop.quality.warehouse import Warehouse

LOADS_PER_DATASET = 10


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    kind: str  # table | view

    @property
    def full_name(self) -> str:
        return f"{self.schema}.{self.name}"


def relations(wh: Warehouse, schemas: Iterable[str]) -> list[Relation]:
    """Tables and views in `schemas` of the current database, ordered by schema and name."""
    wanted = list(schemas)
    if not wanted:
        return []
    marks = ", ".join("?" for _ in wanted)
    found = wh.rows(
        "select table_schema, table_name, table_type from information_schema.tables "
        f"where table_catalog = current_database() and table_schema in ({marks}) "
        "order by table_schema, table_name",
        wanted,
    )
    return [
        Relation(
            r["table_schema"], r["table_name"], "view" if r["table_type"] == "VIEW" else "table"
        )
        for r in found
    ]


def present_tables(wh: Warehouse, datasets: Sequence[str]) -> dict[str, list[str]]:
    """Tables per dataset that exists (dlt's `_dlt_loads` included; staging tables not)."""
    present: dict[str, list[str]] = {}
    for relation in relations(wh, datasets):
        present.setdefault(relation.schema, []).append(relation.name)
    return present


def tracked(relations_: Iterable[Relation]) -> list[Relation]:
    """The relations whose row counts and columns are recorded: everything but dlt's own."""
    return [r for r in relations_ if not r.name.startswith("_dlt_")]


def columns(wh: Warehouse, relations_: Sequence[Relation]) -> dict[str, list[tuple[str, str]]]:
    """(column, lower-case type) per relation, in table order."""
    schemas = sorted({r.schema for r in relations_})
    if not schemas:
        return {}
    wanted = {r.full_name for r in relations_}
    marks = ", ".join("?" for _ in schemas)
    found = wh.rows(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        f"where table_catalog = current_database() and table_schema in ({marks}) "
        "order by table_schema, table_name, ordinal_position",
        schemas,
    )
    result: dict[str, list[tuple[str, str]]] = {name: [] for name in sorted(wanted)}
    for row in found:
        name = f"{row['table_schema']}.{row['table_name']}"
        if name in wanted:
            result[name].append((row["column_name"], str(row["data_type"]).lower()))
    return result


def counted(relations_: Iterable[Relation], derived_schema: str) -> list[Relation]:
    """The relations whose rows are counted: every table, and the views outside `derived_schema`.
    A view there is a step between the sources and the marts (one Search Console row per search
    fact, one GA4 property per page and day: window functions over every source row), so
    counting it would cost about as much as building a mart, and its rows are already counted
    in the source tables below it and the marts above it. Its columns are still recorded."""
    return [r for r in relations_ if not (r.kind == "view" and r.schema == derived_schema)]


def row_counts(wh: Warehouse, relations_: Sequence[Relation]) -> dict[str, int]:
    """Rows per relation, read in one query (one round trip however many tables)."""
    if not relations_:
        return {}
    found = wh.rows(
        " union all ".join(
            f'select {i} as i, count(*) as n from "{r.schema}"."{r.name}"'
            for i, r in enumerate(relations_)
        )
    )
    by_index = {int(row["i"]): int(row["n"]) for row in found}
    return {r.full_name: by_index[i] for i, r in enumerate(relations_)}


def recent_loads(wh: Warehouse, present: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The newest dlt loads of each dataset (status 0 = loaded), newest first."""
    loads: list[dict[str, Any]] = []
    for dataset, tables in sorted(present.items()):
        if DLT_LOADS not in tables:
            continue
        found = wh.rows(
            f'select load_id, schema_name, status, inserted_at from "{dataset}"."{DLT_LOADS}" '
            f"order by inserted_at desc limit {LOADS_PER_DATASET}"
        )
        loads.extend({"dataset": dataset, **row} for row in found)
    loads.sort(key=lambda load: load["inserted_at"], reverse=True)
    return loads
