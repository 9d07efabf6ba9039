"""Exports from other tools (keyword lists, backlink exports, ...) as one table in `files`.

    .csv .tsv            read with Arrow; column types inferred over the whole file
    .parquet .pq         streamed in batches, types as stored
    .json                an array of objects (nested lists become child tables)
    .jsonl .ndjson       one object per line

Loading a file replaces the table of that name, columns and types included (the table is
dropped and created from the new file, see jobs.ingest_file); if the load fails the previous
table is put back as it was (keep.py). A malformed file is an IngestError that names the file
and the line, and nothing is loaded: a binary file, text that is not UTF-8 (UTF-16 with a
byte-order mark is read), two columns with the same name once normalised (`a,a`, `Name,name`).
Quoted file content in a message is cut short, with control characters shown as `?`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
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


def printable(text: str, limit: int = 120) -> str:
    """File content quoted in a message: cut at `limit`, control characters shown as `?`."""
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return "".join(c if c.isprintable() else "?" for c in cut)


def sniff_encoding(path: Path) -> str:
    """The text encoding of a file to read as CSV; an IngestError for a binary file."""
    with path.open("rb") as handle:
        head = handle.read(65_536)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in head:
        raise IngestError(
            f"{path} is a binary file, not CSV text",
            hint="export the data as CSV (UTF-8), Parquet or JSON; nothing was loaded",
        )
    return "utf8"


def unique_columns(path: Path, names: Sequence[str]) -> None:
    """Refuse two columns that become one warehouse column (dlt normalises names)."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    naming, seen = NamingConvention(), dict[str, str]()
    for name in names:
        column = str(naming.normalize_identifier(name)) if name.strip() else "_"
        if column in seen:
            raise IngestError(
                f"{path}: columns {printable(seen[column], 40)!r} and {printable(name, 40)!r} "
                f"both become column {printable(column, 40)!r}",
                hint="rename one of them in the header; nothing was loaded",
            )
        seen[column] = name


def read_csv(path: Path) -> pa.Table:
    from pyarrow import csv

    broken: list[Any] = []
    undecodable: list[BaseException | None] = []

    def on_invalid(row: Any) -> str:
        broken.append(row)
        return "error"

    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    encoding = sniff_encoding(path)
    saved_hook = sys.unraisablehook  # pyarrow reports a row it cannot decode here
    sys.unraisablehook = lambda unraisable: undecodable.append(unraisable.exc_value)
    try:
        table = csv.read_csv(
            path,
            read_options=csv.ReadOptions(use_threads=False, encoding=encoding),
            parse_options=csv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
        )
    except pa.ArrowInvalid as exc:
        if broken:
            row = broken[0]
            raise IngestError(
                f"{path}: line {row.number} has {row.actual_columns} fields where the header has "
                f"{row.expected_columns}: {printable(row.text)}",
                hint="fix or remove that line (a comma inside a value needs quotes); "
                "nothing was loaded",
            ) from None
        if undecodable:
            raise IngestError(
                f"{path}: a malformed line is not UTF-8 text", hint="save the file as UTF-8"
            ) from None
        raise IngestError(f"{path} is not a readable CSV file: {printable(str(exc))}") from None
    finally:
        sys.unraisablehook = saved_hook
    unique_columns(path, table.column_names)
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
        unique_columns(path, reader.schema_arrow.names)
        for batch in reader.iter_batches(batch_size=BATCH_ROWS):
            yield pa.Table.from_batches([batch])
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{path} is not a readable Parquet file: {printable(str(exc))}") from None


def json_records(path: Path) -> Iterator[list[dict[str, Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError:
        raise IngestError(f"{path} is not UTF-8 text", hint="save the file as UTF-8") from None
    except RecursionError:
        raise IngestError(f"{path}: JSON nested too deeply to read") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise IngestError(
            f"{path}: expected a JSON array of objects",
            hint="for one object per line, name the file .jsonl",
        )
    for start in range(0, len(data), BATCH_ROWS):
        yield data[start : start + BATCH_ROWS]


def jsonl_records(path: Path) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise IngestError(
                    f"{path}: line {number} is not UTF-8 text", hint="save the file as UTF-8"
                ) from None
            except (json.JSONDecodeError, RecursionError) as exc:
                why = (
                    f"{exc.msg} at column {exc.colno}"
                    if isinstance(exc, ValueError)
                    else "too deep"
                )
                raise IngestError(
                    f"{path}: line {number} is not JSON ({why})",
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
