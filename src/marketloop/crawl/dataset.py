"""Reading a crawl dataset (see `crawl/schema.py`), and its manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
from pydantic import BaseModel, Field, ValidationError

from marketloop.crawl.schema import FORMAT_VERSION, SCHEMAS, TABLES
from marketloop.errors import CrawlDatasetError
from marketloop.workspace import MANIFEST

if TYPE_CHECKING:
    import duckdb

CrawlStatus = Literal["running", "finished", "interrupted", "failed"]


class Manifest(BaseModel):
    format_version: int = FORMAT_VERSION
    crawl_id: str
    start_url: str
    status: CrawlStatus = "running"
    started_at: datetime
    finished_at: datetime | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)  # rows per table, URLs fetched, errors
    notes: list[str] = Field(default_factory=list)  # what a person should know (robots.txt, ...)
    tool_version: str = ""

    def write(self, folder: Path) -> None:
        """Write atomically (temp file + rename), so a kill never leaves half a manifest."""
        target = folder / MANIFEST
        tmp = target.with_suffix(".tmp")
        tmp.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(target)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise CrawlDatasetError(
                f"{folder} is not a crawl dataset (no {MANIFEST})",
                hint="pass the folder `marketloop crawl --out` wrote",
            )
        try:
            manifest = cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError) as exc:
            raise CrawlDatasetError(f"malformed manifest in {folder}: {exc}") from None
        if manifest.format_version > FORMAT_VERSION:
            raise CrawlDatasetError(
                f"{folder} has crawl format {manifest.format_version}; this marketloop reads "
                f"up to {FORMAT_VERSION}",
                hint="upgrade marketloop",
            )
        return manifest


@dataclass(frozen=True)
class CrawlDataset:
    folder: Path
    manifest: Manifest

    @classmethod
    def open(cls, folder: Path | str) -> CrawlDataset:
        path = Path(folder)
        return cls(path, Manifest.read(path))

    def parts(self, table: str) -> list[Path]:
        return sorted((self.folder / table).glob("part-*.parquet"))

    def connect(self, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection (in memory unless given) with one view per table, plus `inlinks`.

        Tables with no part files yet are empty views with the right columns, so every query
        works on a crawl that found no images or no sitemaps.
        """
        import duckdb  # only readers need it; the crawler writes without it

        con = con or duckdb.connect()
        for table in TABLES:
            parts = self.parts(table)
            if parts:
                files = ", ".join(f"'{_sql_path(p)}'" for p in parts)
                con.execute(
                    f"CREATE OR REPLACE VIEW {table} AS "
                    f"SELECT * FROM read_parquet([{files}], union_by_name = true)"
                )
            else:
                empty = pa.Table.from_pylist([], schema=SCHEMAS[table])
                con.register(f"_{table}_empty", empty)
                con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM _{table}_empty")
        con.execute(
            """
            CREATE OR REPLACE VIEW inlinks AS
            SELECT to_url AS url,
                   count(DISTINCT from_url) AS inlinks,
                   count(DISTINCT from_url) FILTER (WHERE NOT nofollow) AS followed_inlinks
            FROM links WHERE kind = 'a' AND is_internal AND from_url <> to_url
            GROUP BY to_url
            """
        )
        return con

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        con = self.connect()
        try:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()


def _sql_path(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")
