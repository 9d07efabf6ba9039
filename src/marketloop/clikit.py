"""What every CLI command shares: options, the settings of this invocation, and output.

Stage commands live in their packages (`crawl/cli.py`, `audit/cli.py`, ...) and use these pieces
so that `--workspace`, `--format`/`--out`, list options, deprecated spellings and errors behave
the same everywhere (the convention is written in docs/cli.md, from `docgen.CONVENTION`).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn
from rich.table import Table
from rich.text import Text

from marketloop.config import Settings, load_settings, unknown_env_variables
from marketloop.csvsafe import neutralise
from marketloop.observe.logging import configure_logging
from marketloop.workspace import Workspace, open_atomic

# emoji=False: outside text such as a fine-tuned model id (`ft:gpt-4o:org:x:`) must print as
# it is, not with `:org:`-like codes turned into emoji
console = Console(stderr=True, highlight=False, emoji=False)
stdout = Console(highlight=False, soft_wrap=True, emoji=False)

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
    html = "html"


FORMAT_HELP = "table (for people), json, csv, or html (a self-contained page)."
OUT_HELP = "Write to this file instead of stdout (the format follows a .json, .csv or .html name)."


def format_option(help: str = FORMAT_HELP) -> Any:
    """`-f/--format`, the same flag on every command (its choices come from the annotation:
    `OutputFormat`, or a stage's own enum where it has other formats, e.g. ics). HELP names
    them: the type column shows `<format>`, which keeps long option names whole at 80 columns."""
    return typer.Option("--format", "-f", metavar="<format>", help=help, show_default=True)


def out_option(help: str = OUT_HELP) -> Any:
    """`-o/--out FILE`, the same flag on every command that prints a result."""
    return typer.Option("--out", "-o", help=help, show_default=False)


FormatOption = Annotated[OutputFormat, format_option()]
OutOption = Annotated[Path | None, out_option()]

SUFFIX_FORMATS = {".json": OutputFormat.json, ".csv": OutputFormat.csv, ".html": OutputFormat.html}


def output_format(fmt: OutputFormat | str, out: Path | None) -> OutputFormat:
    """The format to write: the one asked for, or, left at table with `--out FILE`, the one
    FILE's suffix names (`-o clusters.json`)."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.table and out is not None:
        return SUFFIX_FORMATS.get(out.suffix.lower(), fmt)
    return fmt


def report_format(fmt: OutputFormat | str, out: Path | None) -> OutputFormat:
    """`output_format` for a command whose table view is several tables and notes (audit,
    crawl-diff, plan status): that view is for a terminal, so `--out` needs a file format."""
    fmt = output_format(fmt, out)
    if out is not None and fmt is OutputFormat.table:
        raise typer.BadParameter("--out needs --format json, csv or html", param_hint="--out")
    return fmt


E = TypeVar("E", bound=StrEnum)


def split_list(values: Iterable[str] | None) -> list[str]:
    """A repeatable option's values with comma lists split: `--prompt a,b --prompt c`."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def list_option(*names: str, help: str, metavar: str | None = None) -> Any:
    """A list option, repeatable and taking comma lists (`--model a,b --model c`)."""
    return typer.Option(
        *names, help=f"{help} Repeatable; comma lists too.", metavar=metavar, callback=split_list
    )


def choice_list(enum: type[E], values: Iterable[str] | None) -> list[E]:
    """`split_list` for a list of choices: each item checked against `enum`."""
    chosen = []
    for item in split_list(values):
        try:
            chosen.append(enum(item))
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise typer.BadParameter(f"{item!r} is not one of {allowed}") from None
    return chosen


# Old spellings that keep working for one release, with a warning that names the new one.
# Rewritten in argv before click parses it (cli._polish), so a command sees only the new ones.
#: command path → old option → the tokens that replace it (its value, if any, follows)
RENAMED_OPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "keywords cluster": {"--html": ("--format", "html", "--out")},
    "keywords gaps": {"--html": ("--format", "html", "--out")},
    "plan memo": {"--html": ("--format", "html", "--out")},
    "eval run": {"--prompts": ("--prompt",), "--models": ("--model",)},
    "eval decide": {"--candidates": ("--candidate",), "--runs": ("--run",)},
    "ingest hubspot": {"--objects": ("--object",)},
    "keys create": {"--scopes": ("--scope",)},
}
#: old top-level command → new command path
RENAMED_COMMANDS: dict[str, str] = {"export": "crawl-export"}


def deprecated(old: str, new: str) -> None:
    """The one-line warning for an old spelling that still works."""
    console.print(
        f"[yellow]warning:[/] {esc(old)} is deprecated and goes in the next release; "
        f"use {esc(new)}",
        soft_wrap=True,
    )


def new_spelling(tokens: tuple[str, ...]) -> str:
    """How the warning and docs/cli.md show a new spelling: `--format html --out FILE`."""
    return " ".join(tokens) + (" FILE" if tokens[-1] == "--out" else "")


def renamed_args(command: str, args: list[str]) -> list[str]:
    """ARGS with the old option spellings of COMMAND replaced by the new ones (warned once
    each); nothing after `--` is touched."""
    renames = RENAMED_OPTIONS.get(command, {})
    result: list[str] = []
    warned: set[str] = set()
    for index, arg in enumerate(args):
        if arg == "--":
            return [*result, *args[index:]]
        old, eq, value = arg.partition("=")
        new = renames.get(old)
        if new is None:
            result.append(arg)
            continue
        if old not in warned:
            warned.add(old)
            deprecated(f"`marketloop {command} {old}`", new_spelling(new))
        result += [*new[:-1], f"{new[-1]}={value}"] if eq else list(new)
    return result


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


def emit_json(value: Any, out: Path | None = None) -> None:
    emit_text(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n", out)


def write_json_list(items: Iterable[Any], sink: TextIO, depth: int = 0) -> None:
    """A JSON list written item by item, laid out as `emit_json` lays out a list nested
    `depth` levels deep (no newline after it)."""
    pad = "\n" + "  " * (depth + 1)
    first = True
    for item in items:
        text = json.dumps(to_jsonable(item), indent=2, ensure_ascii=False)
        sink.write(("[" if first else ",") + pad + text.replace("\n", pad))
        first = False
    sink.write("[]" if first else "\n" + "  " * depth + "]")


def emit_text(text: str, out: Path | None = None) -> None:
    """Text on stdout, or written to OUT (atomically) with a `wrote FILE` line on stderr."""
    emit_stream(lambda sink: sink.write(text), out)


def emit_stream(write: Callable[[TextIO], object], out: Path | None = None) -> None:
    """What `write` writes into the sink it is given (a streamed export, batch by batch), on
    stdout, or into OUT (atomically: a failure leaves OUT as it was) with a `wrote FILE` line
    on stderr."""
    if out is None:
        write(sys.stdout)
        return
    with open_atomic(out) as sink:
        write(sink)
    console.print(f"wrote {esc(out)}", soft_wrap=True)


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: OutputFormat | str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    out: Path | None = None,
) -> None:
    """Print rows as a rich table, a JSON list, CSV or a self-contained HTML page, on stdout
    or into OUT (`output_format` picks the format from OUT's suffix when left at table).

    The one way tabular data leaves a command.
    """
    fmt = output_format(fmt, out)
    if fmt is OutputFormat.json:
        emit_json(list(rows), out)
        return
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt is OutputFormat.csv:
        emit_text(rows_to_csv(rows, cols), out)
        return
    if fmt is OutputFormat.html:
        emit_text(rows_to_html(rows, cols, title or "marketloop"), out)
        return
    table = Table(title=plain(title), show_lines=False, header_style="bold")
    for col in cols:
        table.add_column(plain(col), overflow="fold")
    for row in rows:
        table.add_row(*(plain(_cell(row.get(col))) for col in cols))
    if out is None:
        stdout.print(table)
        return
    text = io.StringIO()
    Console(file=text, width=120, no_color=True, emoji=False, highlight=False).print(table)
    emit_text(text.getvalue(), out)


def rows_to_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], title: str) -> str:
    """Rows as a self-contained HTML page (the shared report style): HTML is possible for
    every command that prints rows, not only where a stage has a report of its own."""
    from marketloop.report import render

    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    return render("marketloop.report", "rows.html", title=title, columns=columns, rows=cells)


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
    write_csv(rows, columns, buffer)
    return buffer.getvalue()


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], sink: TextIO) -> None:
    """Rows as CSV into `sink` as they come (cells by `_csv_cell`: text neutralised)."""
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(col)) for col in columns])


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
