"""Exports from other tools (keyword lists, backlink exports, ...) as one table in `files`.

    .csv .tsv            read with Arrow; column types inferred over the whole file
    .parquet .pq         streamed in batches, types as stored
    .json                an array of objects (nested lists become child tables)
    .jsonl .ndjson       one object per line

Loading a file replaces the table of that name, columns and types included (the table is
dropped and created from the new file, see jobs.ingest_file). A malformed file is an
IngestError that names the file and the line, and nothing is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from marketloop.errors import IngestError
from marketloop.ingest.stats import RunStats

KINDS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
BATCH_ROWS = 50_000


def table_name(name: str) -> str:
    """The warehouse name of `--table NAME` (dlt's snake_case), refusing reserved names."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    normalized = str(NamingConvention().normalize_identifier(name.strip())) if name.strip() else ""
    if not normalized or normalized.startswith("_dlt"):
        raise IngestError(f"{name!r} cannot be a table name", hint="pass --table keyword_list")
    return normalized


def read_csv(path: Path) -> pa.Table:
    from pyarrow import csv

    broken: list[Any] = []

    def on_invalid(row: Any) -> str:
        broken.append(row)
        return "error"

    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        table = csv.read_csv(
            path,
            read_options=csv.ReadOptions(use_threads=False),
            parse_options=csv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
        )
    except pa.ArrowInvalid as exc:
        if broken:
            row = broken[0]
            raise IngestError(
                f"{path}: line {row.number} has {row.actual_columns} fields where the header has "
                f"{row.expected_columns}: {row.text[:120]}",
                hint="fix or remove that line (a comma inside a value needs quotes); "
                "nothing was loaded",
            ) from None
        raise IngestError(f"{path} is not a readable CSV file: {exc}") from None
    binary = [field.name for field in table.schema if pa.types.is_binary(field.type)]
    if binary:
        raise IngestError(
            f"{path}: column {binary[0]!r} is not valid UTF-8 text",
            hint="save the file as UTF-8 (most tools offer it when exporting)",
        )
    return table


def parquet_batches(path: Path) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(path)
        for batch in reader.iter_batches(batch_size=BATCH_ROWS):
            yield pa.Table.from_batches([batch])
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{path} is not a readable Parquet file: {exc}") from None


def json_records(path: Path) -> Iterator[list[dict[str, Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError:
        raise IngestError(f"{path} is not UTF-8 text", hint="save the file as UTF-8") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise IngestError(
            f"{path}: expected a JSON array of objects",
            hint="for one object per line, name the file .jsonl",
        )
    for start in range(0, len(data), BATCH_ROWS):
        yield data[start : start + BATCH_ROWS]


def jsonl_records(path: Path) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise IngestError(
                    f"{path}: line {number} is not JSON ({exc.msg} at column {exc.colno})",
                    hint="fix or remove that line; nothing was loaded",
                ) from None
            if not isinstance(item, dict):
                raise IngestError(f"{path}: line {number} is not a JSON object")
            batch.append(item)
            if len(batch) >= BATCH_ROWS:
                yield batch
                batch = []
    if batch:
        yield batch


def file_items(path: Path, table: str, stats: RunStats) -> Iterator[Any]:
    kind = KINDS.get(path.suffix.lower())
    items: Iterator[Any]
    if kind == "csv":
        items = iter(read_csv(path).to_batches(BATCH_ROWS))
    elif kind == "parquet":
        items = parquet_batches(path)
    elif kind == "json":
        items = json_records(path)
    else:
        items = jsonl_records(path)
    for item in items:
        stats.page(
            table, item.num_rows if isinstance(item, pa.RecordBatch | pa.Table) else len(item)
        )
        yield item


def file_source(path: Path, table: str, stats: RunStats) -> Any:
    """A dlt resource that replaces `files.<table>` with the file's rows (load it with
    `refresh="drop_resources"` so the old columns go too)."""
    import dlt

    if not path.is_file():
        raise IngestError(f"{path} does not exist or is not a file")
    if path.suffix.lower() not in KINDS:
        raise IngestError(
            f"{path}: unknown file type {path.suffix or '(none)'}",
            hint=f"use one of {', '.join(sorted(KINDS))}",
        )
    name = table_name(table)
    return dlt.resource(file_items(path, name, stats), name=name, write_disposition="replace")
