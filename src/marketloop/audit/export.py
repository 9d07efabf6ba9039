"""`marketloop crawl-export`: one table of a crawl dataset as CSV or Parquet, streamed.

`pages` gets the `inlinks` and `followed_inlinks` columns joined in, and one `extract_NAME`
column per custom extraction rule of the crawl (`[[crawl.extract]]`: its values, or for a
`count` rule its number of matches; empty where a page has none). Parquet keeps every type
as it is. CSV renders what a spreadsheet cannot hold: lists become one item per line inside the
cell, hreflang one `lang url` per line, Open Graph one `key=value` per line, times ISO 8601 in UTC.
Text cells a spreadsheet would run as a formula (a crawled title `=HYPERLINK(...)`) are
neutralised (csvsafe.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, Literal

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from marketloop.audit.config import AuditSettings
from marketloop.audit.views import capped_connection, validate
from marketloop.crawl.custom import NAME as RULE_NAME  # safe as part of an identifier
from marketloop.crawl.dataset import CrawlDataset, read_errors
from marketloop.crawl.schema import SCHEMAS
from marketloop.csvsafe import neutralise_batch
from marketloop.errors import AuditError

Table = Literal["pages", "links", "images", "extractions"]
_VALUES, _MATCHES = '"values"', "matches"  # the extractions columns a rule's column takes
BATCH_ROWS = 10_000


def export_sql(table: Table, *, for_csv: bool, rules: Sequence[tuple[str, str]] = ()) -> str:
    """The export's query; `rules` ((name, mode) of the crawl's extraction rules) add their
    columns to `pages`."""
    fields = list(SCHEMAS[table])
    columns = [_csv_column(f) if for_csv else f'"{f.name}"' for f in fields]
    if table == "pages":
        columns += ["coalesce(i.inlinks, 0) AS inlinks",
                    "coalesce(i.followed_inlinks, 0) AS followed_inlinks"]  # fmt: skip
        joins = "LEFT JOIN inlinks i USING (url)"
        if rules:
            columns += [_rule_column(name, mode, for_csv) for name, mode in rules]
            joins += f" LEFT JOIN ({_pivot(rules)}) x USING (url)"
        return f"SELECT {', '.join(columns)} FROM pages p {joins}"
    return f"SELECT {', '.join(columns)} FROM {table}"


def extraction_rules(dataset: CrawlDataset) -> list[tuple[str, str]]:
    """(name, mode) of the crawl's extraction rules, as its manifest records them (a name that
    is not a valid rule name is left out: it goes into the SQL as an identifier)."""
    rules = dataset.manifest.settings.get("extract") or []
    found = [
        (str(r.get("name")), str(r.get("mode") or "first")) for r in rules if isinstance(r, dict)
    ]
    return [(name, mode) for name, mode in found if RULE_NAME.match(name)]


def _pivot(rules: Sequence[tuple[str, str]]) -> str:
    """One row per page with one column per rule: its values, or its matches for `count`."""
    picks = [
        f"any_value({_MATCHES if mode == 'count' else _VALUES}) "
        f"FILTER (WHERE name = '{name}') AS \"extract_{name}\""
        for name, mode in rules
    ]
    return f"SELECT page_url AS url, {', '.join(picks)} FROM extractions GROUP BY page_url"


def _rule_column(name: str, mode: str, for_csv: bool) -> str:
    column = f'"extract_{name}"'
    if not for_csv or mode == "count":
        return column
    return f"array_to_string({column}, chr(10)) AS {column}"  # one value per line


def _csv_column(field: pa.Field) -> str:
    name, kind = f'"{field.name}"', field.type
    if pa.types.is_list(kind) and pa.types.is_struct(kind.value_type):  # hreflang
        return f"array_to_string([x.lang || ' ' || x.url for x in {name}], chr(10)) AS {name}"
    if pa.types.is_list(kind):
        return f"array_to_string({name}, chr(10)) AS {name}"
    if pa.types.is_map(kind):
        return (
            f"array_to_string([e.key || '=' || e.value for e in map_entries({name})], chr(10)) "
            f"AS {name}"
        )
    if pa.types.is_timestamp(kind):
        # in UTC whatever the session's TimeZone (DuckDB takes it from the machine)
        return f"strftime(timezone('UTC', {name}), '%Y-%m-%dT%H:%M:%S.%gZ') AS {name}"
    return name


def export(
    dataset: CrawlDataset,
    table: Table,
    fmt: Literal["csv", "parquet"],
    out: Path | None,
    settings: AuditSettings | None = None,
) -> Path | None:
    """Write `table` to `out` (atomically) or, for CSV without `out`, to stdout. DuckDB is
    capped at `settings.memory_limit` and spills beyond it, as the audit does: joining the
    inlinks of a million pages otherwise took DuckDB's default of most of the machine's RAM."""
    validate(dataset)
    rules = extraction_rules(dataset) if table == "pages" else []
    with capped_connection(dataset, settings) as con:
        con.execute("SET preserve_insertion_order = true")  # rows in the dataset's order
        dataset.connect(con)
        with read_errors(dataset):
            if fmt == "parquet":
                if out is None:
                    raise AuditError("Parquet is binary: name a file", hint="pass --out FILE")
                return _to_file(out, lambda tmp: _copy_parquet(con, table, tmp, rules))
            sql = export_sql(table, for_csv=True, rules=rules)
            reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
            if out is None:
                sys.stdout.flush()
                _write_csv(reader, sys.stdout.buffer)
                return None
            return _to_file(out, lambda tmp: _write_csv_file(reader, tmp))


def _copy_parquet(
    con: duckdb.DuckDBPyConnection, table: Table, tmp: Path, rules: Sequence[tuple[str, str]]
) -> None:
    path = str(tmp).replace("'", "''")
    sql = export_sql(table, for_csv=False, rules=rules)
    try:
        con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
    except duckdb.IOException as exc:  # the output cannot be written, not a damaged dataset
        raise OSError(f"{exc}".splitlines()[0]) from None


def _write_csv(reader: pa.RecordBatchReader, sink: BinaryIO) -> None:
    options = pacsv.WriteOptions(quoting_style="needed")
    with pacsv.CSVWriter(sink, reader.schema, write_options=options) as writer:
        for batch in reader:
            writer.write_batch(neutralise_batch(batch))


def _write_csv_file(reader: pa.RecordBatchReader, tmp: Path) -> None:
    with tmp.open("wb") as sink:
        _write_csv(reader, sink)


def _to_file(out: Path, write: Callable[[Path], None]) -> Path:
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AuditError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out
