"""`marketloop audit`, `marketloop crawl-diff` and `marketloop crawl-export` (issue 2's contract).

Heavy imports (DuckDB, Arrow) happen inside the commands, so `marketloop --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from marketloop.audit.model import Check, Severity
from marketloop.clikit import (
    OutputFormat,
    WorkspaceOption,
    choice_list,
    console,
    emit_rows,
    esc,
    format_option,
    list_option,
    out_option,
    progress,
    report_format,
    state,
)
from marketloop.workspace import Workspace

if TYPE_CHECKING:
    from marketloop.config import Settings
    from marketloop.crawl.dataset import CrawlDataset


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


class ExportTable(StrEnum):
    pages = "pages"
    links = "links"
    images = "images"
    extractions = "extractions"


DatasetArgument = Annotated[
    Path | None,
    typer.Argument(
        metavar="DIR",
        help="Crawl dataset folder (what `marketloop crawl --out` wrote). "
        "Default: the latest crawl in the workspace.",
        show_default=False,
    ),
]


def audit_command(
    ctx: typer.Context,
    dataset: DatasetArgument = None,
    fmt: Annotated[
        OutputFormat,
        format_option(
            "table: tickets and top issues; json/csv: every issue; html: a self-contained "
            "report with charts."
        ),
    ] = OutputFormat.table,
    severity: Annotated[
        list[str] | None,
        list_option(
            "--severity", "-s", metavar="<critical|warning|notice>", help="Show only these."
        ),
    ] = None,
    check: Annotated[
        list[str] | None,
        list_option("--check", "-c", help="Show only these check ids; see docs/checks.md."),
    ] = None,
    out: Annotated[
        Path | None,
        out_option(
            "Write to this file instead of stdout. html default: "
            "WORKSPACE/reports/audit-<crawl id>.html."
        ),
    ] = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option(
            "--fail-on",
            help="Exit with status 1 when a shown issue is at least this "
            "severe (a CI gate). The output is written first.",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            "-t",
            metavar="KEY=VALUE",
            help="Override a threshold for this run, e.g. slow_response=2 (repeatable).",
        ),
    ] = None,
    disable: Annotated[
        list[str] | None,
        list_option(
            "--disable", metavar="CHECK", help="Skip a check for this run; adds to audit.disabled."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Top issues listed by --format table.")
    ] = 20,
    workspace: WorkspaceOption = None,
) -> None:
    """Audit a crawl dataset: find SEO problems, prioritise them and group them into tickets.

    Runs every check (docs/checks.md) and your own (audit.custom in marketloop.toml)
    over the crawl, stores the result as DIR/issues.parquet and shows it. Exit status: 0
    done, 1 --fail-on matched, 2 bad settings, 3 unreadable dataset.

    `marketloop audit checks` lists every check, built-in and custom (unless a folder named
    `checks` exists: then it is audited).

    Examples:

      marketloop audit crawl-1 --format html

      marketloop audit checks --format json
    """
    from marketloop.audit import present
    from marketloop.audit import shown as show
    from marketloop.audit.analytics import page_values
    from marketloop.audit.engine import audit

    settings = _settings(ctx, workspace, threshold or [], disable or [])
    severities = choice_list(Severity, severity)
    if dataset == Path("checks") and not dataset.exists():
        _list_checks(settings, fmt, out)
        return
    fmt = report_format(fmt, out)
    crawl = _open(dataset, settings)
    wanted = set(check or [])
    _known_checks(wanted, settings)
    with _progress("auditing", settings) as advance:
        result = audit(crawl, settings, values=page_values(settings), progress=advance)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {esc(warning)}")
    shown = show.select(result.table, severities, wanted)
    present.emit(result, shown, fmt.value, out, limit, Workspace(settings.workspace))
    failing = show.at_least(shown, fail_on) if fail_on is not None else 0
    if failing:
        console.print(f"[red]{failing} issues at {fail_on} or above[/]")
        raise typer.Exit(1)


def crawl_diff_command(
    ctx: typer.Context,
    old: Annotated[Path, typer.Argument(help="The earlier crawl dataset folder.")],
    new: Annotated[Path, typer.Argument(help="The later crawl dataset folder.")],
    fmt: Annotated[
        OutputFormat,
        format_option(
            "table: the counts and each list; json: everything; csv: one row per difference; "
            "html: a self-contained report."
        ),
    ] = OutputFormat.table,
    out: Annotated[
        Path | None,
        out_option(
            "Write to this file instead of stdout. html default: "
            "WORKSPACE/reports/crawl-diff-<old>-<new>.html."
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", min=1, help="Rows per list shown by --format table; the rest are counted."
        ),
    ] = 50,
    workspace: WorkspaceOption = None,
) -> None:
    """Compare two crawls: issues new, resolved and persisting; pages added, removed, changed.

    A crawl without DIR/issues.parquet (or with one made under other thresholds) is audited
    first. Changed pages compare status, indexability, title, meta description, H1, word count,
    depth and canonical.

    Example: marketloop crawl-diff crawl-1 crawl-2 --format html
    """
    from marketloop.audit import present
    from marketloop.audit.diff import crawl_diff

    settings = state(ctx).settings(workspace)
    fmt = report_format(fmt, out)
    with console.status("comparing the crawls (auditing them if needed)"):
        result = crawl_diff(_open(old, settings), _open(new, settings), settings.audit)
    with result:
        if fmt in (OutputFormat.json, OutputFormat.csv):
            present.emit_diff(result, fmt.value, out)
        elif fmt is OutputFormat.html:
            name = f"crawl-diff-{result.old_crawl}-{result.new_crawl}.html"
            path = present.write_diff_html(
                result, out or Workspace(settings.workspace).ensure().reports_dir / name
            )
            console.print(f"report: [link=file://{esc(path.resolve())}]{esc(path)}[/link]")
        else:
            present.diff_tables(result, limit)


def export_command(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Argument(help="Crawl dataset folder.")],
    table: Annotated[ExportTable, typer.Argument(help="Which table to export.")],
    fmt: Annotated[
        ExportFormat, format_option("csv, or parquet (needs --out).")
    ] = ExportFormat.csv,
    out: Annotated[
        Path | None, out_option("File to write (required for parquet). Default for csv: stdout.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Export the pages, links, images or custom extractions of a crawl as CSV or Parquet.

    pages carries inlinks and followed_inlinks, and one extract_NAME column per custom
    extraction rule of the crawl. In CSV, list cells hold one item per line
    (hreflang: `lang url`, Open Graph: `key=value`). Was `marketloop export` (still accepted, with a
    warning, for one release).

    Example: marketloop crawl-export crawl-1 pages --format parquet --out pages.parquet
    """
    from marketloop.audit.export import export

    settings = state(ctx).settings(workspace)
    crawl = _open(dataset, settings)
    if crawl.manifest.status != "finished":
        console.print(f"[yellow]warning:[/] crawl {esc(crawl.manifest.crawl_id)} is "
                      f"{crawl.manifest.status}: the export is partial")  # fmt: skip
    if fmt is ExportFormat.parquet and out is None:
        raise typer.BadParameter("Parquet is binary: pass --out FILE", param_hint="--out")
    written = export(crawl, table.value, fmt.value, out, settings.audit)
    if written is not None:
        console.print(f"wrote {esc(written)}")


def _settings(
    ctx: typer.Context, workspace: Path | None, thresholds: list[str], disable: list[str]
) -> Settings:
    cli = state(ctx)
    if not thresholds and not disable:
        return cli.settings(workspace)
    base = cli.settings(workspace).audit
    overrides: dict[str, object] = {"disabled": sorted({*base.disabled, *disable})}
    if thresholds:
        overrides["thresholds"] = {**base.thresholds, **_parse_thresholds(thresholds)}
    return cli.settings(workspace, audit=overrides)


def _parse_thresholds(pairs: list[str]) -> dict[str, float]:
    parsed = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            parsed[key.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(
                f"{pair!r} is not KEY=NUMBER, e.g. slow_response=2", param_hint="--threshold"
            ) from None
    return parsed


def _open(folder: Path | None, settings: Settings) -> CrawlDataset:
    from marketloop.crawl.dataset import CrawlDataset

    return CrawlDataset.open(folder or Workspace(settings.workspace).latest_crawl())


def _list_checks(settings: Settings, fmt: OutputFormat, out: Path | None) -> None:
    from marketloop.audit.registry import REGISTRY, all_checks

    rows = [
        {
            "id": c.id,
            "severity": c.severity.value,
            "source": "built-in" if c.id in REGISTRY else "custom",
            "description": c.description,
        }
        for c in all_checks(settings.audit)
    ]
    emit_rows(rows, fmt, title="audit checks", out=out)


def _known_checks(wanted: set[str], settings: Settings) -> None:
    from marketloop.audit.registry import all_checks

    unknown = sorted(wanted - {c.id for c in all_checks(settings.audit)})
    if unknown:
        raise typer.BadParameter(
            f"unknown check {', '.join(unknown)}; see docs/checks.md or `--format json`",
            param_hint="--check",
        )


@contextmanager
def _progress(label: str, settings: Settings) -> Iterator[Callable[[Check], None]]:
    """A transient progress bar on stderr that ticks once per check."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn

    from marketloop.audit.registry import all_checks

    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.description}"))  # fmt: skip
    with progress(*columns) as bar:
        task = bar.add_task("", total=len(all_checks(settings.audit)))
        yield lambda check: bar.update(task, advance=1, description=check.id)
