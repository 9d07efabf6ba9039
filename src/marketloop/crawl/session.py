"""The life of a crawl dataset folder: create or resume it, keep its counts, finish it.

A new crawl needs an empty (or missing) folder; `--resume` needs a folder with a manifest and
its `state/` frontier. Resuming first cleans up what a kill left behind (see `writer.recover`)
and marks every URL and sitemap with stored rows as done, so none is fetched twice.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from marketloop import __version__
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import Manifest
from marketloop.crawl.frontier import Frontier
from marketloop.crawl.schema import TABLES
from marketloop.crawl.urls import InvalidUrl, normalize
from marketloop.crawl.writer import Batch, DatasetWriter
from marketloop.errors import CrawlError
from marketloop.workspace import MANIFEST

STATE = Path("state") / "frontier.sqlite"


@dataclass
class DatasetSession:
    folder: Path
    manifest: Manifest
    frontier: Frontier
    writer: DatasetWriter
    parse_workers: int
    totals: Counter[str] = field(default_factory=Counter)

    @property
    def done(self) -> int:
        return self.totals["pages"]

    def add_counts(self, batch: Batch) -> dict[str, int]:
        """Add a batch's rows to the running totals; the counts the manifest records with it."""
        for table in TABLES:
            self.totals[table] += batch[table].rows
        errors = batch["pages"].columns["error"]
        self.totals["errors"] += sum(1 for e in errors if e is not None)
        return {**self.totals, "urls": self.totals["pages"]}

    def finish(self, status: str, notes: list[str]) -> None:
        """Record the final status and exact counts (recounted from the stored parts).

        A finished crawl drops its resume state (the frontier can be large); an interrupted or
        failed one keeps it for --resume.
        """
        self.frontier.close()
        counts = dict.fromkeys(TABLES, 0) | recount(self.folder)
        self.manifest.notes = list(dict.fromkeys([*self.manifest.notes, *notes]))
        if status == "finished":
            self.manifest.finished_at = datetime.now(UTC)
        self.writer.commit(counts, status)
        if status == "finished":
            shutil.rmtree(self.folder / STATE.parent, ignore_errors=True)


def open_dataset(
    start_url: str,
    folder: Path,
    settings: CrawlSettings,
    *,
    resume: bool,
    seeds: Sequence[str] = (),
) -> DatasetSession:
    """Open (or resume) the dataset in `folder`; a new crawl starts from `start_url`, or in
    list mode from `seeds` (normalised URLs, depth 0, `found_via = list`); a list mode crawl
    without seeds lists the sitemap `start_url` (the crawler reads it)."""
    try:
        start = normalize(start_url)
    except InvalidUrl as exc:
        raise CrawlError(
            f"cannot crawl {exc}", hint="give a full URL, e.g. https://example.com/"
        ) from None
    if (folder / MANIFEST).is_file():
        manifest = _resumable(folder, start, resume)
    else:
        if resume:
            raise CrawlError(f"nothing to resume in {folder} (no {MANIFEST})", hint="drop --resume")
        if folder.is_dir() and any(folder.iterdir()):
            raise CrawlError(f"{folder} is not empty", hint="choose a new --out folder")
        folder.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(
            crawl_id=uuid.uuid4().hex[:12],
            start_url=start,
            started_at=datetime.now(UTC),
            settings=settings.model_dump(mode="json"),
            tool_version=__version__,
        )
        manifest.write(folder)
    writer = DatasetWriter(folder, manifest)
    try:
        frontier = Frontier(folder / STATE)
    except sqlite3.DatabaseError as exc:
        raise CrawlError(f"the resume state in {folder / STATE} is unreadable: {exc}") from None
    session = DatasetSession(folder, manifest, frontier, writer, _workers(settings))
    if resume:
        session.totals.update(writer.recover())
        for urls in writer.stored("pages", "url"):
            frontier.mark_done(urls)
        for urls in writer.stored("sitemaps", "sitemap_url"):
            frontier.mark_done(urls, "sitemap_files")
        session.totals["errors"] = recount(folder).get("errors", 0)
    else:
        listing = settings.mode == "list"  # from a file (seeds) or a sitemap (read later)
        first = [(start, 0, "start", ())] if not (seeds or listing) else []
        frontier.add(first + [(url, 0, "list", ()) for url in seeds])
        frontier.commit()
    manifest.status = "running"
    manifest.finished_at = None
    manifest.write(folder)
    return session


def _resumable(folder: Path, start: str, resume: bool) -> Manifest:
    if not resume:
        raise CrawlError(
            f"{folder} already holds a crawl", hint="pass --resume to continue it, or a new --out"
        )
    manifest = Manifest.read(folder)
    if manifest.start_url != start:
        raise CrawlError(
            f"{folder} is a crawl of {manifest.start_url}, not {start}",
            hint="resume with the same URL, or choose a new --out",
        )
    if manifest.status == "finished":
        raise CrawlError(
            f"{folder} is a finished crawl: nothing to resume", hint="crawl again with a new --out"
        )
    if not (folder / STATE).is_file():
        raise CrawlError(
            f"{folder} has no resume state ({STATE})", hint="start a new crawl with a new --out"
        )
    return manifest


def recount(folder: Path) -> dict[str, int]:
    """Exact counts from the committed part files: rows per table, errors, status classes."""
    counts: Counter[str] = Counter()
    for table in TABLES:
        for part in sorted((folder / table).glob("part-*.parquet")):
            counts[table] += pq.ParquetFile(part).metadata.num_rows
    for part in sorted((folder / "pages").glob("part-*.parquet")):
        data = pq.read_table(part, columns=["status", "error", "blocked_by_robots"])
        status = data.column("status")
        counts["errors"] += len(data) - data.column("error").null_count
        counts["blocked"] += pc.sum(data.column("blocked_by_robots")).as_py() or 0
        counts["no_response"] += status.null_count
        for pair in pc.value_counts(pc.divide(status, 100)).to_pylist():
            if pair["values"] is not None:
                counts[f"status_{pair['values']}xx"] += pair["counts"]
    counts["urls"] = counts["pages"]
    counts["no_response"] -= counts["blocked"]
    return dict(counts)


def _workers(settings: CrawlSettings) -> int:
    if settings.parse_workers is not None:
        return settings.parse_workers
    return max(1, len(os.sched_getaffinity(0)))
