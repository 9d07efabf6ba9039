"""`marketloop ingest ...`: load a source into the warehouse, with progress while paging and a
summary table at the end (rows per table, pages, requests, retries, quota left, seconds)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn

from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_rows,
    esc,
    list_option,
    progress,
    state,
)
from marketloop.errors import ConfigError
from marketloop.ingest.config import HUBSPOT_OBJECTS, HubspotObject

app = typer.Typer(
    name="ingest",
    help="Load GA4, Search Console, HubSpot, files and the latest crawl into the warehouse "
    "(DuckDB in the workspace by default; see \\[warehouse]). A failure while fetching loads "
    "nothing; writing is atomic per table, and a failed file load keeps the previous table. The "
    "next run resumes where the last successful one stopped.\n\n"
    "Example: marketloop ingest gsc --site sc-domain:example.com --start 2026-11-01",
    no_args_is_help=True,
)

StartOption = Annotated[
    str | None,
    typer.Option(
        "--start",
        help="First day (YYYY-MM-DD, today, yesterday or NdaysAgo). Default: the saved cursor "
        "minus the lookback window, or initial_days ago on the first run.",
        show_default=False,
    ),
]
EndOption = Annotated[
    str | None,
    typer.Option("--end", help="Last day, inclusive. Default: today.", show_default=False),
]


def _day(text: str | None) -> date | None:
    from marketloop.ingest.windows import parse_day

    return parse_day(text, date.today()) if text else None


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str, int, int | None], None]]:
    """A rich progress display; yields the page listener the sources call."""
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
    )
    with progress(*columns) as bar:
        tasks: dict[str, Any] = {}

        def on_page(stream: str, rows: int, total: int | None) -> None:
            if stream not in tasks:
                tasks[stream] = bar.add_task(f"{title}.{stream}", total=None)
            bar.update(tasks[stream], advance=rows, total=total)

        yield on_page


def _report(result: Any, fmt: OutputFormat, out: Path | None, title: str) -> None:
    for note in result.notes:
        console.print(f"[yellow]note:[/] {esc(note)}")
    emit_rows(result.rows(), fmt, title=title, out=out)


@app.command("ga4")
def ga4(
    ctx: typer.Context,
    *,
    property_id: Annotated[
        str | None,
        typer.Option("--property", help="GA4 property id (digits). Default: \\[ga4] property_id."),
    ] = None,
    report: Annotated[
        list[str] | None,
        list_option("--report", help="Reports to load. Default: every configured report."),
    ] = None,
    start: StartOption = None,
    end: EndOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Load GA4 reports (runReport) into ga4.<report>, incrementally by date.

    Credentials: MARKETLOOP_GOOGLE_CREDENTIALS_FILE or MARKETLOOP_GOOGLE_ACCESS_TOKEN.

    Example: marketloop ingest ga4 --property 123456789 --start 30daysAgo
    """
    from marketloop.ingest.jobs import ingest_ga4

    settings = state(ctx).settings(workspace)
    with _progress("ga4") as listener:
        result = ingest_ga4(
            settings, property_id, report or (), start=_day(start), end=_day(end), listener=listener
        )
    _report(result, fmt, out, "ingest ga4")


@app.command("gsc")
def gsc(
    ctx: typer.Context,
    *,
    site: Annotated[
        str | None,
        typer.Option(
            "--site",
            help="Search Console property: https://example.com/ or sc-domain:example.com. "
            "Default: \\[gsc] site.",
        ),
    ] = None,
    start: StartOption = None,
    end: EndOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Load Search Console performance into gsc.search_analytics, by date.

    Rows are grouped by date, query, page, country and device.

    Example: marketloop ingest gsc --site sc-domain:example.com --start 2024-01-01
    """
    from marketloop.ingest.jobs import ingest_gsc

    settings = state(ctx).settings(workspace)
    with _progress("gsc") as listener:
        result = ingest_gsc(settings, site, start=_day(start), end=_day(end), listener=listener)
    _report(result, fmt, out, "ingest gsc")


def _objects(chosen: list[str] | None) -> list[HubspotObject]:
    if not chosen:
        return []
    unknown = [c for c in chosen if c not in HUBSPOT_OBJECTS]
    if unknown:
        raise ConfigError(
            f"unknown HubSpot object(s): {', '.join(unknown)}",
            hint=f"choose from {','.join(HUBSPOT_OBJECTS)}",
        )
    return [o for o in HUBSPOT_OBJECTS if o in chosen]


@app.command("hubspot")
def hubspot(
    ctx: typer.Context,
    *,
    objects: Annotated[
        list[str] | None,
        list_option(
            "--object",
            metavar="<contacts|companies|deals>",
            help="Objects to load. Default: \\[hubspot] objects.",
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Re-read everything through the list endpoint.")
    ] = False,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Load HubSpot contacts, companies, deals and their associations into hubspot.*.

    The first run lists everything; later runs fetch only what changed since.

    Token: MARKETLOOP_HUBSPOT_TOKEN (a private-app access token).

    Example: marketloop ingest hubspot --object contacts,deals --full
    """
    from marketloop.ingest.jobs import ingest_hubspot

    settings = state(ctx).settings(workspace)
    with _progress("hubspot") as listener:
        result = ingest_hubspot(settings, _objects(objects), full=full, listener=listener)
    _report(result, fmt, out, "ingest hubspot")


@app.command("file")
def file(
    ctx: typer.Context,
    *,
    path: Annotated[Path, typer.Argument(help="A .csv, .tsv, .parquet, .json or .jsonl file.")],
    table: Annotated[str, typer.Option("--table", help="Table name in the files dataset.")],
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Load an export (keyword list, backlinks, ...) as files.<table>, replacing it.

    Example: marketloop ingest file keywords.csv --table keyword_list
    """
    from marketloop.ingest.jobs import ingest_file

    settings = state(ctx).settings(workspace)
    with _progress("files") as listener:
        result = ingest_file(settings, path, table, listener=listener)
    _report(result, fmt, out, "ingest file")


@app.command("crawl")
def crawl(
    ctx: typer.Context,
    *,
    folder: Annotated[
        Path | None,
        typer.Argument(help="Crawl dataset folder. Default: the workspace's latest crawl."),
    ] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Load a crawl dataset and its audit issues into crawl.pages and crawl.issues.

    The previous crawl's rows are replaced.

    Example: marketloop ingest crawl .marketloop/crawls/example.com-20261206T101500
    """
    from marketloop.ingest.jobs import ingest_crawl

    settings = state(ctx).settings(workspace)
    with _progress("crawl") as listener:
        result = ingest_crawl(settings, folder, listener=listener)
    _report(result, fmt, out, "ingest crawl")
