"""The measure stage's actions: `ingest.ga4`, `ingest.gsc`, `ingest.hubspot`, `ingest.file`
and `ingest.crawl` (what `marketloop ingest SOURCE` runs). Every one writes the warehouse, so a
run holds the warehouse write lock around it; loads merge, so running one again after a crash
leaves the same rows."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from marketloop.actions import Action, ActionContext, ActionResult, Args
from marketloop.ingest.config import HubspotObject
from marketloop.ingest.jobs import IngestResult


class Ga4Args(Args):
    property: str | None = Field(None, description="GA4 property id; default [ga4] property_id")
    reports: list[str] = Field(default_factory=list, description="default: every report")


class GscArgs(Args):
    site: str | None = Field(None, description="Search Console site; default [gsc] site")


class HubspotArgs(Args):
    objects: list[HubspotObject] = Field(default_factory=list)
    full: bool = False


class FileArgs(Args):
    path: Path
    table: str = Field(min_length=1)

    @field_validator("path")
    @classmethod
    def _kind(cls, path: Path) -> Path:
        """A file type `ingest file` cannot read is refused at `loop check`."""
        from marketloop.ingest.files import KINDS

        if path.suffix.lower() not in KINDS:
            kinds = ", ".join(sorted(KINDS))
            raise ValueError(f"unknown file type {path.suffix or '(none)'} (use one of {kinds})")
        return path


class CrawlLoadArgs(Args):
    crawl: Path | None = Field(None, description="crawl dataset; default: the latest")


def _result(ctx: ActionContext, result: IngestResult) -> ActionResult:
    rows = result.rows()
    warehouse = ctx.settings.warehouse
    outputs = {}
    if warehouse.destination == "duckdb":
        outputs["warehouse"] = str(warehouse.duckdb_file(ctx.workspace))
    total = sum(int(row.get("rows") or 0) for row in rows)
    return ActionResult(outputs, {"rows": total}, f"{total} rows into {result.dataset}")


def ga4(ctx: ActionContext, args: Ga4Args) -> ActionResult:
    from marketloop.ingest import jobs

    return _result(ctx, jobs.ingest_ga4(ctx.settings, args.property, args.reports))


def gsc(ctx: ActionContext, args: GscArgs) -> ActionResult:
    from marketloop.ingest import jobs

    return _result(ctx, jobs.ingest_gsc(ctx.settings, args.site))


def hubspot(ctx: ActionContext, args: HubspotArgs) -> ActionResult:
    from marketloop.ingest import jobs

    return _result(ctx, jobs.ingest_hubspot(ctx.settings, args.objects, full=args.full))


def file(ctx: ActionContext, args: FileArgs) -> ActionResult:
    from marketloop.ingest import jobs

    return _result(ctx, jobs.ingest_file(ctx.settings, args.path, args.table))


def crawl(ctx: ActionContext, args: CrawlLoadArgs) -> ActionResult:
    from marketloop.ingest import jobs

    return _result(ctx, jobs.ingest_crawl(ctx.settings, args.crawl))


ACTIONS = [
    Action(
        f"ingest.{name}",
        model,
        function,
        f"load {what} into the warehouse (`marketloop ingest {name}`)",
        outputs="the warehouse's raw tables",
        writes_warehouse=True,
    )
    for name, model, function, what in (
        ("ga4", Ga4Args, ga4, "GA4 reports"),
        ("gsc", GscArgs, gsc, "Search Console performance"),
        ("hubspot", HubspotArgs, hubspot, "HubSpot contacts, companies and deals"),
        ("file", FileArgs, file, "a CSV, Parquet or JSON file"),
        ("crawl", CrawlLoadArgs, crawl, "a crawl dataset"),
    )
]
