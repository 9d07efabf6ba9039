"""`marketloop smoke`, `marketloop backup` and `marketloop restore`: an operator's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from rich.table import Table

from marketloop.clikit import WorkspaceOption, console, state, stdout
from marketloop.errors import UsageError

MARKS = {"pass": "[green]pass[/]", "fail": "[red]FAIL[/]", "skip": "[yellow]skip[/]"}


def smoke_command(
    url: Annotated[
        str, typer.Argument(help="Base URL of the deployment, e.g. http://127.0.0.1:8000")
    ],
    key: Annotated[
        str | None,
        typer.Option(
            "--key", envvar="MARKETLOOP_SMOKE_KEY", help="API key (read, run and metrics scopes)."
        ),
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write the results as JUnit XML here.")
    ] = None,
    loop: Annotated[str, typer.Option("--loop", help="Loop the tiny run starts.")] = "demo",
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per request.")] = 10.0,
) -> None:
    """Check a deployment: health, readiness, auth, a tiny run, metrics, the login page.

    Exit 0 when no check failed (skipped checks say why), 1 when one did.
    Example: marketloop smoke https://staging.example.com --key "$KEY" --junit smoke.xml
    """
    import httpx

    from marketloop.observe.smoke import Smoke, write_junit

    try:
        parts = urlsplit(url)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(f"not an http(s) URL: {url!r}")
    with httpx.Client(base_url=url.rstrip("/"), timeout=timeout) as http:
        results = Smoke(http, key, loop).run()
    table = Table("check", "result", "detail", title=f"smoke {escape(url)}")
    for r in results:
        table.add_row(r.name, MARKS[r.outcome], escape(r.detail))
    stdout.print(table)
    if junit is not None:
        write_junit(results, url, junit)
        console.print(f"JUnit XML: {escape(str(junit))}")
    failed = [r.name for r in results if r.outcome == "fail"]
    if failed:
        console.print(f"[red]smoke failed:[/] {escape(', '.join(failed))}")
        raise typer.Exit(1)


def backup_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Empty or new directory to write the backup to.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Back up the app database, run history, crawl datasets, warehouse and step logs, live.

    Each crawl's url-index/ is left out: a cache the first page detail rebuilds.

    Example: marketloop backup /var/backups/marketloop/2026-12-06
    """
    from marketloop.observe.backup import backup

    settings = state(ctx).settings(workspace)
    written = backup(settings, folder)
    console.print(f"backup: {len(written)} part(s) in {escape(str(folder))}")


def restore_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A directory `marketloop backup` wrote.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Restore a backup into a workspace with no app database, warehouse or step logs yet.

    Example: marketloop restore /var/backups/marketloop/2026-12-06 --workspace ./restored
    """
    from marketloop.observe.backup import restore

    settings = state(ctx).settings(workspace)
    restored = restore(settings, folder)
    console.print(f"restore: {len(restored)} part(s) into {escape(str(settings.workspace))}")
