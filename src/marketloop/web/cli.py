"""`marketloop users create|list|disable`: the people who log in to the dashboard.

marketloop users create ana --role editor
echo "$PASSWORD" | marketloop users create ci-bot --role viewer --password-stdin
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape

from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_rows,
    state,
)
from marketloop.errors import UsageError

users_app = typer.Typer(
    help="Dashboard users with a role (viewer, editor, admin): create, list, disable.\n\n"
    "Example: marketloop users create ana --role editor",
    no_args_is_help=True,
)


def _engine(ctx: typer.Context, workspace: Any) -> Any:
    from marketloop.appdb import open_app_db
    from marketloop.config import app_db_url

    return open_app_db(app_db_url(state(ctx).settings(workspace)))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Repeat it", hide_input=True) != first:
        raise UsageError("the two passwords differ; nothing was created")
    return str(first)


@users_app.command("create")
def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The login name.")],
    role: Annotated[
        str,
        typer.Option(help="viewer (read), editor (+ review, plan, runs), admin (+ keys, users)."),
    ] = "viewer",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of standard input instead of prompting.",
        ),
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Create a dashboard user; the password is prompted for (never a flag) and kept as an
    Argon2 hash.

    Example: marketloop users create ana --role editor
    """
    from marketloop.web.users import check_role, create_user

    check_role(role)  # before asking for a password
    user = create_user(_engine(ctx, workspace), name, _password(password_stdin), role)
    console.print(f"created user {escape(user.name)} ({user.role})")


@users_app.command("list")
def list_command(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List dashboard users with their role and whether they are disabled.

    Example: marketloop users list --format csv
    """
    from marketloop.web.users import list_users

    rows = [u.as_dict() for u in list_users(_engine(ctx, workspace))]
    emit_rows(rows, fmt, columns=("id", "name", "role", "created_at", "disabled_at"),
              title="users", out=out)  # fmt: skip


@users_app.command("disable")
def disable_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The login name.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Disable a user: they cannot log in, and their open sessions end at the next request.

    Example: marketloop users disable ana
    """
    from marketloop.web.users import disable_user

    user = disable_user(_engine(ctx, workspace), name)
    console.print(f"disabled user {escape(user.name)}; their sessions have ended")
