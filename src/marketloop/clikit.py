"""What every CLI command shares: options, the settings of this invocation, and output.

Stage commands live in their packages (`crawl/cli.py`, `audit/cli.py`, ...) and use these pieces
so that `--workspace`, `--format` and errors behave the same everywhere.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn
from rich.table import Table
from rich.text import Text

from marketloop.config import Settings, load_settings, unknown_env_variables
from marketloop.csvsafe import neutralise
from marketloop.observe.logging import configure_logging
from marketloop.workspace import Workspace

console = Console(stderr=True, highlight=False)
stdout = Console(highlight=False, soft_wrap=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (crawl datasets, warehouse, app database). "
        "Default: ./.marketloop or MARKETLOOP_WORKSPACE.",
        show_default=False,
    ),
]


def progress(*columns: str | ProgressColumn) -> Progress:
    """A transient progress display on stderr, shown only on a terminal: rich would otherwise
    leave a blank line in captured or piped output (before an `error:` line, say)."""
    return Progress(*columns, console=console, transient=True, disable=not console.is_interactive)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@dataclass
class CliState:
    """The root options of one invocation; stage commands add their own flags as overrides."""

    config: Path | None = None
    workspace: Path | None = None
    log_level: str | None = None
    _cache: dict[str, Settings] = field(default_factory=dict)

    def settings(self, workspace: Path | None = None, **overrides: Any) -> Settings:
        values: dict[str, Any] = {"workspace": workspace or self.workspace, **overrides}
        if self.log_level:
            values["log_level"] = self.log_level
        key = json.dumps(values, default=str, sort_keys=True)
        if key not in self._cache:
            if not self._cache:  # once per invocation, before an error can stop it
                for warning in unknown_env_variables():
                    console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
            settings = load_settings(self.config, values)
            configure_logging(settings.log_level, settings.log_format)
            self._cache[key] = settings
        return self._cache[key]

    def workspace_for(self, workspace: Path | None = None) -> Workspace:
        return Workspace(self.settings(workspace).workspace).ensure()


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n")


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: OutputFormat | str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print rows as a rich table, a JSON list or CSV on stdout.

    The one way tabular data leaves a command.
    """
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.json:
        emit_json(list(rows))
        return
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt is OutputFormat.csv:
        sys.stdout.write(rows_to_csv(rows, cols))
        return
    table = Table(title=plain(title), show_lines=False, header_style="bold")
    for col in cols:
        table.add_column(plain(col), overflow="fold")
    for row in rows:
        table.add_row(*(plain(_cell(row.get(col))) for col in cols))
    stdout.print(table)


def plain(text: object) -> Text:
    """Text from data as Rich shows it: never read as markup (`[/]`, `[red]`), control
    characters other than tab and newline, and bidi overrides, dropped (see `_CONTROL`)."""
    value = "" if text is None else str(text)
    return Text(value.translate(_CONTROL))


def esc(value: object) -> str:
    """Data placed inside a markup string: `console.print(f"[bold]{esc(task)}[/] moved")`."""
    return escape(str(value).translate(_CONTROL))


#: control characters (tab and newline aside) and the bidi overrides that can make a line read
#: other than it is ("Trojan Source"): dropped from data before it reaches a terminal
_CONTROL = dict.fromkeys(
    (*range(9), *range(11, 32), 127, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)


def rows_to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(col)) for col in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _csv_cell(value: Any) -> Any:
    """A value as a CSV cell: lists and dicts as JSON, text neutralised (csvsafe.py)."""
    if isinstance(value, list | tuple | dict):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    if isinstance(value, str):
        return neutralise(value)
    return "" if value is None else value
