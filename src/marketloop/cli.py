"""The `marketloop` command: a typer app with one command or group per stage.

Each stage keeps its commands in its own package and registers them here. Errors become a
one-line message and an exit status only at this edge: 0 success, 2 usage or configuration
error, 3 the work could not be completed (see errors.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from marketloop import __version__
from marketloop.clikit import CliState, WorkspaceOption, console
from marketloop.errors import MarketloopError

app = typer.Typer(
    name="marketloop",
    help="One self-hosted loop for marketing: measure, diagnose, plan content, create, operate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"marketloop {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML settings file (default ./marketloop.toml)."),
    ] = None,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Settings come from defaults < marketloop.toml < MARKETLOOP_* env < flags."""
    ctx.obj = CliState(config=config, workspace=workspace, log_level=log_level)


def _register() -> None:
    from marketloop import demo
    from marketloop.ingest.cli import app as ingest_app

    app.command("demo")(demo.demo_command)
    app.add_typer(ingest_app, name="ingest")


_register()


def main() -> None:
    """Entry point: run the app, turning marketloop errors into a message and an exit status."""
    try:
        app()  # standalone: click handles usage errors (exit 2) and --help itself
    except MarketloopError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        if exc.hint:
            console.print(f"[dim]hint:[/] {exc.hint}")
        raise SystemExit(exc.exit_code) from None
