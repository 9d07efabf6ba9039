"""The `marketloop` command: a typer app with one command or group per stage.

Each stage keeps its commands in its own package and registers them here. Errors become a
one-line message and an exit status only at this edge: 0 success, 2 usage or configuration
error, 3 the work could not be completed (see errors.py).
"""

from __future__ import annotations

import copy as cp
import importlib
import inspect
import re
import sys
from functools import cache
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer
import typer.main
from rich.markup import escape
from typer import _click as click  # typer vendors click; its Context and Command types
from typer.core import TyperGroup, TyperOption, _TyperParameter

from marketloop import __version__
from marketloop.clikit import (
    RENAMED_COMMANDS,
    RENAMED_OPTIONS,
    CliState,
    WorkspaceOption,
    console,
    deprecated,
    renamed_args,
)
from marketloop.errors import MarketloopError
from marketloop.observe.logging import mask_secrets

WRITE_HINT = "pass --workspace/--out with a folder you can write to"
Kind = Literal["command", "group", "factory"]

# Every command and group, imported only when it is run (or when help lists them all), so a
# command pays for its own stage's dependencies and no other's. Order is the loop's order.
LAZY: dict[str, tuple[str, Kind]] = {
    "demo": ("marketloop.demo:demo_command", "command"),
    "crawl": ("marketloop.crawl.cli:crawl_command", "command"),
    "audit": ("marketloop.audit.cli:audit_command", "command"),
    "crawl-diff": ("marketloop.audit.cli:crawl_diff_command", "command"),
    "crawl-export": ("marketloop.audit.cli:export_command", "command"),
    "ingest": ("marketloop.ingest.cli:app", "group"),
    "quality": ("marketloop.quality.cli:app", "group"),
    "keywords": ("marketloop.keywords.cli:app", "group"),
    "briefs": ("marketloop.cli:briefs_group", "factory"),
    "eval": ("marketloop.content.cli:eval_app", "group"),
    "tune": ("marketloop.content.tune.cli:tune_app", "group"),
    "notion": ("marketloop.integrations.cli:notion_app", "group"),
    "webhooks": ("marketloop.integrations.cli:webhooks_app", "group"),
    "tickets": ("marketloop.integrations.tickets_cli:tickets_app", "group"),
    "integrations": ("marketloop.integrations.tickets_cli:integrations_app", "group"),
    "plan": ("marketloop.plan.cli:plan_group", "factory"),
    "serve": ("marketloop.api.cli:serve_command", "command"),
    "keys": ("marketloop.api.cli:keys_app", "group"),
    "users": ("marketloop.web.cli:users_app", "group"),
    "loop": ("marketloop.runner.cli:app", "group"),
    "worker": ("marketloop.runner.cli_worker:worker_command", "command"),
    "smoke": ("marketloop.observe.cli:smoke_command", "command"),
    "backup": ("marketloop.observe.cli:backup_command", "command"),
    "restore": ("marketloop.observe.cli:restore_command", "command"),
    "stack": ("marketloop.observe.cli_stack:app", "group"),
}


class LazyGroup(TyperGroup):
    """The root group: resolves `LAZY` entries on first use and caches them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *LAZY]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in RENAMED_COMMANDS and ctx.resilient_parsing is False:
            deprecated(f"`marketloop {cmd_name}`", f"marketloop {RENAMED_COMMANDS[cmd_name]}")
        cmd_name = RENAMED_COMMANDS.get(cmd_name, cmd_name)
        if cmd_name in LAZY:
            return _load(cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="marketloop",
    cls=LazyGroup,
    help="One self-hosted loop for marketing: measure, diagnose, plan content, create, operate."
    "\n\nExample: marketloop loop demo",
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


def briefs_group() -> typer.Typer:
    """`briefs`: generate (content stage) and publish (integrations stage) in one group."""
    from marketloop.content.cli import briefs_app
    from marketloop.integrations.cli import publish_command
    from marketloop.integrations.published_cli import (
        decaying_command,
        live_command,
        performance_command,
    )

    if "publish" not in {c.name for c in briefs_app.registered_commands}:
        briefs_app.command("publish")(publish_command)
        briefs_app.command("live")(live_command)
        briefs_app.command("performance")(performance_command)
        briefs_app.command("decaying")(decaying_command)
    return briefs_app


@cache
def _load(name: str) -> click.Command:
    reference, kind = LAZY[name]
    module, _, attribute = reference.partition(":")
    target = getattr(importlib.import_module(module), attribute)
    if kind == "factory":
        target = target()
    if kind == "command":
        single = typer.Typer(add_completion=False, rich_markup_mode="rich")
        single.command(name)(target)
        return _polish(typer.main.get_command(single), name)
    group = typer.main.get_group(target)
    group.name = name
    return _polish(group, name)


# Root options every command accepts too, so `marketloop crawl URL --config x.toml` works.
SHARED_ROOT_OPTIONS = ("config", "log_level")


def _polish(command: click.Command, path: str) -> click.Command:
    """Give every command the shared root options and its old spellings (clikit.RENAMED_OPTIONS),
    and every group one-line summaries."""
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            _polish(sub, f"{path} {name}")
            sub.short_help = sub.short_help or _summary(sub.help)
    else:
        known = {param.name for param in command.params}
        command.params += [p for p in _root_options() if p.name not in known]
        if path in RENAMED_OPTIONS:
            parse = command.parse_args

            def parse_renamed(ctx: click.Context, args: list[str]) -> list[str]:
                return parse(ctx, renamed_args(path, args))

            command.parse_args = parse_renamed  # type: ignore[method-assign]
    return command


def _summary(help_text: str | None) -> str | None:
    """The first paragraph of a docstring on one line: the summary a group lists."""
    if not help_text:
        return None
    first = inspect.cleandoc(help_text).split("\n\n")[0]
    return " ".join(first.replace("\b", "").split())


@cache
def _root_options() -> list[click.Parameter]:
    """Copies of the root's --config and --log-level that set the same root state."""
    root = typer.main.get_command(app)
    copies = []
    for param in root.params:
        if param.name in SHARED_ROOT_OPTIONS:
            copy = cp.copy(param)
            copy.expose_value = False
            copy.callback = _remember_root_option
            copies.append(copy)
    return copies


def _remember_root_option(ctx: click.Context, param: click.Parameter, value: object) -> object:
    root = ctx.find_root()  # its callback (`root` above) has run and made the state
    if value is not None and param.name and isinstance(root.obj, CliState):
        setattr(root.obj, param.name, value)
    return value


def _hide_flag_types() -> None:
    """Help shows no `<bool>` type for flags (--help, --resume): they take no value."""
    show_type = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: click.Context) -> str | None:
        return None if self.is_flag else show_type(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_hide_flag_types()

#: how help names a value's type: words a user knows, not Python's (`<str>`, `<list[Path]>`)
HUMAN_TYPES = {"str": "text", "int": "integer", "float": "number", "Path": "path", "bool": "yes|no"}
_LIST_TYPE = re.compile(r"^<list\[(.*)\]>$")


def human_type(label: str) -> str:
    """`<list[str]>` → `<text>...` (repeatable), `<int>` → `<integer>` (a range's bounds are
    shown beside it, `[x>=1]`); others unchanged."""
    repeated = _LIST_TYPE.match(label)
    inner = repeated.group(1) if repeated else label.strip("<>")
    inner = inner.removesuffix(" range")
    return f"<{HUMAN_TYPES.get(inner, inner)}>" + ("..." if repeated else "")


def _human_types() -> None:
    display_type = _TyperParameter.display_type

    def human(self: _TyperParameter, ctx: click.Context) -> str:
        return human_type(display_type(self, ctx))

    _TyperParameter.display_type = human  # type: ignore[method-assign]


_human_types()


def main() -> None:
    """Entry point: run the app, turning marketloop errors, and files that cannot be written or
    read, into a message and an exit status."""
    try:
        app()  # standalone: click handles usage errors (exit 2) and --help itself
    except MarketloopError as exc:
        _fail(exc.message, exc.hint, exc.exit_code)
    except OSError as exc:  # a folder or file the command was pointed at (--out, --workspace)
        _fail(*_describe_os_error(exc), 3)
    except RecursionError:  # a JSON or YAML file nested thousands deep that a reader missed
        _fail("an input file is nested too deeply to read", "check the files given", 3)
    except UnicodeError:  # an argument of undecodable bytes used as text (an id, a name)
        if not any(_undecodable(arg) for arg in sys.argv):
            raise
        _fail("an argument is not valid text (undecodable bytes)", "retype it as UTF-8", 2)


def _undecodable(arg: str) -> bool:
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _fail(message: str, hint: str | None, exit_code: int) -> NoReturn:
    """Print the error (secrets masked: a message may quote a server's answer) and exit."""
    console.print(f"[bold red]error:[/] {_one_line(message)}", soft_wrap=True)
    if hint:
        console.print(f"[dim]hint:[/] {_one_line(hint)}", soft_wrap=True)
    raise SystemExit(exit_code) from None


def _one_line(text: str) -> str:
    """A message that may quote hostile input, as one printable line: secrets masked, line
    breaks as spaces, other characters that do not print (control codes, bidi overrides, lone
    surrogates of undecodable arguments) as `?`, Rich markup escaped."""
    text = "".join(c if c.isprintable() else " " if c.isspace() else "?" for c in text)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return escape(mask_secrets(" ".join(text.split())))


def _describe_os_error(exc: OSError) -> tuple[str, str | None]:
    """The message and hint for an OSError no stage turned into a marketloop error."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return reason, None
    if isinstance(exc, FileNotFoundError):
        return f"cannot open {exc.filename}: {reason}", "check the path"
    return f"cannot write {exc.filename}: {reason}", WRITE_HINT
