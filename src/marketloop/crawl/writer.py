"""The dataset writer: rows buffered as columns, written as Parquet part files in batches.

A batch is one flush: each table with rows gets `TABLE/part-NNNNN.parquet`, written to a hidden
temporary name and renamed into place, and then the manifest (written atomically) records the
batch number as committed in `counts["batches"]`. That manifest write is the commit point:
`recover()` deletes part files of batches after it (renamed, but not committed) and temporary
files, so after a kill every stored row belongs to exactly one committed batch.

Rows are appended column-wise (plain list appends and extends, no per-row objects), and a whole
batch becomes Arrow arrays in one call per column.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from marketloop.crawl.dataset import Manifest
from marketloop.crawl.schema import SCHEMAS, TABLES
from marketloop.errors import CrawlDatasetError

PART = "part-{:05d}.parquet"


class TableBuffer:
    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        self.rows = 0

    def add(self, row: Mapping[str, Any]) -> None:
        for name, column in self.columns.items():
            column.append(row.get(name))
        self.rows += 1

    def extend(self, columns: Mapping[str, Sequence[Any]], count: int) -> None:
        """Add `count` rows given as columns; a missing column is null, a scalar repeats."""
        for name, column in self.columns.items():
            values = columns.get(name)
            if isinstance(values, list | tuple):
                column.extend(values)
            else:
                column.extend([values] * count)
        self.rows += count

    def to_table(self) -> pa.Table:
        arrays = [pa.array(self.columns[f.name], type=f.type) for f in self.schema]
        return pa.Table.from_arrays(arrays, schema=self.schema)


class Batch:
    """The rows of every table gathered since the last flush."""

    def __init__(self) -> None:
        self.tables = {name: TableBuffer(SCHEMAS[name]) for name in TABLES}

    def __getitem__(self, table: str) -> TableBuffer:
        return self.tables[table]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


class DatasetWriter:
    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest
        self.batch_number = manifest.counts.get("batches", 0)
        for table in TABLES:
            (folder / table).mkdir(parents=True, exist_ok=True)

    def write(self, batch: Batch, counts: Mapping[str, int]) -> None:
        """Write one batch and commit it with the manifest (blocking; run it off the loop)."""
        number = self.batch_number + 1
        written: list[tuple[Path, Path]] = []
        with self._disk():
            for name, buffer in batch.tables.items():
                if buffer.rows:
                    final = self.folder / name / PART.format(number)
                    temp = final.with_name(f".{final.name}.tmp")
                    pq.write_table(buffer.to_table(), temp, compression="zstd")
                    written.append((temp, final))
            for temp, final in written:
                temp.replace(final)
        self.batch_number = number
        self.commit(counts)

    def commit(self, counts: Mapping[str, int], status: str | None = None) -> None:
        self.manifest.counts = {**counts, "batches": self.batch_number}
        if status is not None:
            self.manifest.status = status  # type: ignore[assignment]
        with self._disk():
            self.manifest.write(self.folder)

    @contextmanager
    def _disk(self) -> Iterator[None]:
        """A full disk or a vanished folder stops the crawl with a message, not a traceback."""
        try:
            yield
        except OSError as exc:
            raise CrawlDatasetError(
                f"cannot write the crawl dataset in {self.folder}: {exc.strerror or exc}",
                hint="free some space or fix the permissions, then continue with --resume",
            ) from None

    def recover(self) -> dict[str, int]:
        """After a kill: drop uncommitted and temporary files; return the stored row counts."""
        counts: dict[str, int] = {}
        for table in TABLES:
            folder = self.folder / table
            for temp in folder.glob(".part-*.tmp"):
                temp.unlink()
            rows = 0
            for part in sorted(folder.glob("part-*.parquet")):
                if int(part.stem.split("-")[1]) > self.batch_number:
                    part.unlink()
                else:
                    rows += pq.ParquetFile(part).metadata.num_rows
            counts[table] = rows
        return counts

    def stored(self, table: str, column: str) -> Iterator[list[str]]:
        """The values of `column` in each committed part of `table` (resume bookkeeping)."""
        for part in sorted((self.folder / table).glob("part-*.parquet")):
            yield pq.read_table(part, columns=[column]).column(0).to_pylist()
