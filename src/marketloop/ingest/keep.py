"""`ingest file` replaces a table; until the new one is loaded, the previous one is kept.

dlt's refresh drops the old table (and its child tables) before the new rows are written, so a
load that fails after that point (a value the column's type rejects, a lost connection) would
leave an empty table with the new columns. `previous_kept` copies the tables first and, when
the load fails, puts them back exactly as they were; after a success the copies are dropped.
A kill between the two leaves the copies (`_previous__<table>`) in the dataset: nothing is
lost, and the next load of that table replaces them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PREFIX = "_previous__"


@contextmanager
def previous_kept(pipeline: Any, table: str) -> Iterator[None]:
    """Keep `table` (and `table__*` child tables) of the pipeline's dataset while the body
    loads a replacement; restore them if it raises."""
    kept = _copy(pipeline, table)
    try:
        yield
    except BaseException:
        _restore(pipeline, kept)
        raise
    _drop(pipeline, [PREFIX + name for name in kept])


def _tables(client: Any, dataset: str, table: str) -> list[str]:
    rows = client.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", dataset
    )
    names = [str(row[0]) for row in rows or []]
    return [n for n in names if n == table or n.startswith(table + "__")]


def _copy(pipeline: Any, table: str) -> list[str]:
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            return []
        names = _tables(client, pipeline.dataset_name, table)
        for name in names:
            copy = client.make_qualified_table_name(PREFIX + name)
            client.execute_sql(f"DROP TABLE IF EXISTS {copy}")
            client.execute_sql(
                f"CREATE TABLE {copy} AS SELECT * FROM {client.make_qualified_table_name(name)}"
            )
        return names


def _restore(pipeline: Any, kept: list[str]) -> None:
    if not kept:
        return
    with pipeline.sql_client() as client:
        for name in kept:
            live = client.make_qualified_table_name(name)
            client.execute_sql(f"DROP TABLE IF EXISTS {live}")
            copy = client.make_qualified_table_name(PREFIX + name)
            client.execute_sql(f"ALTER TABLE {copy} RENAME TO {client.escape_column_name(name)}")


def _drop(pipeline: Any, names: list[str]) -> None:
    if not names:
        return
    with pipeline.sql_client() as client:
        for name in names:
            client.execute_sql(f"DROP TABLE IF EXISTS {client.make_qualified_table_name(name)}")
