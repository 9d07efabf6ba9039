"""`marketloop quality ...`: check the warehouse with dbt and publish the data health report.

Exit statuses: 0 pass, 1 warn, 2 fail, 3 the run could not be carried out. Elsewhere in the CLI
2 means a usage or settings error; here 2 is the verdict "fail", so a bad flag or setting of a
quality command exits 3 instead (QualityGroup), and a script reading 2 knows the data failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
from typer import _click as click  # typer vendors click; its Context type
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from marketloop.clikit import (
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    deprecated,
    emit_json,
    emit_rows,
    esc,
    format_option,
    out_option,
    output_format,
    progress,
    state,
)
from marketloop.config import Settings
from marketloop.errors import ConfigError
from marketloop.quality.docs import docs_path
from marketloop.quality.health import failing_rows
from marketloop.quality.progress import dbt_progress
from marketloop.quality.results import age_text

#: exit status of a quality command that could not run, a bad flag or setting included
UNUSABLE = 3


class QualityGroup(TyperGroup):
    """The `quality` group: usage and settings errors exit 3, since 2 is the verdict "fail"."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (UsageError, ConfigError) as exc:
            exc.exit_code = UNUSABLE  # this instance only; other commands keep 2
            raise


app = typer.Typer(
    cls=QualityGroup,
    help="Check the warehouse: source freshness, schema tests and marts (dbt), and the data "
    "health report.\n\nExample: marketloop quality run --format html --out health.html",
    no_args_is_help=True,
)

EXIT_STATUS = {"pass": 0, "warn": 1, "fail": 2}


REPORT_HELP = (
    "table or csv: a summary; json: the full report; html: the data health report (a "
    "self-contained page; default WORKSPACE/reports/data-health.html)."
)


@app.command("run")
def run_command(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    fmt: Annotated[OutputFormat, format_option(REPORT_HELP)] = OutputFormat.table,
    out: OutOption = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Rebuild incremental marts from scratch (new loads are picked up without it; "
            "use it after deleting rows from a source).",
        ),
    ] = False,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            "-s",
            help="dbt node selection for the build (repeatable; dbt syntax: `+page_performance`, "
            "`tag:daily`, `a,b` is an intersection). Default: everything.",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="dbt nodes to leave out of the build (repeatable)."),
    ] = None,
) -> None:
    """Check the warehouse and record the result.

    Runs dbt source freshness, then dbt build (models and schema tests), records the run in the
    warehouse's marketloop_health schema and prints a summary. --select and --exclude narrow the
    build (freshness still checks every source).

    Example: marketloop quality run --select "stg_content__published_briefs+" --format json

    Exit status: 0 pass, 1 warn, 2 fail; 3 when the run could not be carried out (a bad flag
    or setting included).

    dbt's own log: WORKSPACE/dbt/logs/dbt.log.
    """
    from marketloop.quality.run import run_quality

    settings = state(ctx).settings(workspace)
    with dbt_progress() as (on_phase, on_node):
        report = run_quality(
            settings,
            full_refresh=full_refresh,
            select=_selectors(select),
            exclude=_selectors(exclude),
            on_phase=on_phase,
            on_node=on_node,
        )
    _emit(report, fmt, out, settings)
    _print_verdict(report)
    raise typer.Exit(EXIT_STATUS[report["status"]])


def _selectors(given: list[str] | None) -> list[str]:
    """dbt selectors, one per word (dbt itself splits `--select "a b"` the same way)."""
    words = [word for item in given or [] for word in item.split()]
    bad = [word for word in words if any(ord(c) < 32 for c in word) or word.startswith("-")]
    if bad:
        raise typer.BadParameter(f"{bad[0]!r} is not a dbt selector (e.g. +page_performance)")
    return words


@app.command("report")
def report_command(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    fmt: Annotated[
        OutputFormat | None,
        format_option(REPORT_HELP + " Default: html, until the next release; then table."),
    ] = None,
    out: OutOption = None,
) -> None:
    """Write the data health report of the latest recorded `quality run`.

    HTML is one self-contained file with charts; JSON is the full report document.

    Example: marketloop quality report --format html --out data-health.html
    """
    from marketloop.quality.run import latest_report

    settings = state(ctx).settings(workspace)
    if fmt is None and out is None:
        deprecated("`marketloop quality report` writing html by default", "--format html")
        fmt = OutputFormat.html
    report = latest_report(settings)
    _emit(report, fmt or OutputFormat.table, out, settings)


def _emit(report: dict[str, Any], fmt: OutputFormat, out: Path | None, settings: Settings) -> None:
    """A quality report as the summary rows, the JSON document or the HTML data health report."""
    from marketloop.quality.report_html import write_html
    from marketloop.workspace import Workspace

    fmt = output_format(fmt, out)
    if fmt is OutputFormat.json:
        emit_json(report, out)
    elif fmt is not OutputFormat.html:
        emit_rows(summary_rows(report), fmt, title=f"Data health {report['run_id']}", out=out)
    else:
        out = out or Workspace(settings.workspace).ensure().reports_dir / "data-health.html"
        write_html(report, out, docs_path(settings))
        console.print(
            f"data health report ({report['status']}, run {report['run_id']}): {esc(out)}"
        )


@app.command("docs")
def docs_command(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    out: Annotated[
        Path | None,
        out_option("File to write. Default: WORKSPACE/reports/dbt-docs.html."),
    ] = None,
) -> None:
    """Generate dbt's documentation of the models (one self-contained HTML file).

    Sources, staging models and marts with their columns, tests and lineage, and the warehouse's
    catalog; the data health report links to it.

    Example: marketloop quality docs && marketloop quality report
    """
    from marketloop.quality.docs import generate_docs

    settings = state(ctx).settings(workspace)
    with progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()) as bar:
        bar.add_task("dbt docs generate", total=None)
        path = generate_docs(settings, out)
    console.print(f"dbt docs: {esc(path)}")


def summary_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per freshness check, then tests and models in total, then what went wrong."""
    rows = [
        {
            "check": "freshness",
            "subject": f"{f['source']} {'load' if f['kind'] == 'load' else f['table']}",
            "status": f["status"],
            "detail": f"{age_text(f['lag_hours'])} old (warn {f['warn_after']}, "
            f"error {f['error_after']})"
            if f["lag_hours"] is not None
            else f["message"],
        }
        for f in report["freshness"]
    ]
    for kind in ("tests", "models"):
        tally = report["summary"][kind]
        worst = next((s for s in ("error", "fail", "warn") if tally.get(s)), "pass")
        detail = ", ".join(f"{n} {status}" for status, n in tally.items())
        rows.append(
            {"check": kind, "subject": f"{sum(tally.values())} {kind}", "status": worst}
            | {"detail": detail}
        )
    rows += [
        {
            "check": "test",
            "subject": f"{t['test'] or t['name']} on {t['model']}"
            + (f".{t['column']}" if t["column"] else ""),
            "status": t["status"],
            "detail": failing_rows(t["failures"]) if t["failures"] else t["message"],
        }
        for t in report["tests"]
        if t["status"] in {"warn", "fail", "error"}
    ]
    rows += [
        {"check": "volume", "subject": v["table"], "status": "warn"}
        | {"detail": f"{v['count']:,} rows, z = {v['z']}"}
        for v in report["volumes"]
        if v["anomaly"]
    ]
    rows += [
        {"check": "schema", "subject": c["table"], "status": "warn" if c["breaking"] else "pass"}
        | {"detail": f"{c['change'].replace('_', ' ')} {c['column'] or ''}".strip()}
        for c in report["schema_changes"]
    ]
    return rows


def _print_verdict(report: dict[str, Any]) -> None:
    colour = {"pass": "green", "warn": "yellow", "fail": "red"}[report["status"]]
    console.print(f"[bold {colour}]{report['status'].upper()}[/]  run {report['run_id']}")
    for note in report["notes"]:
        console.print(f"[dim]note:[/] {esc(note)}")
