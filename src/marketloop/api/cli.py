"""`marketloop serve` and `marketloop keys create|list|revoke|audit`.

marketloop keys create --name zapier --scope read,run --expires 90d
marketloop serve --port 8000
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape

from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_json,
    emit_rows,
    format_option,
    list_option,
    state,
)
from marketloop.errors import UsageError

keys_app = typer.Typer(
    help="API keys: create (shown once), list, revoke, and the audit log of write actions.\n\n"
    "Example: marketloop keys create --name dashboard-bot --scope read,run",
    no_args_is_help=True,
)
KEY_COLUMNS = ("id", "name", "prefix", "scopes", "created_at", "expires_at", "revoked_at",
               "last_used_at", "request_count")  # fmt: skip


class KeyFormat(StrEnum):
    table = "table"
    json = "json"


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the HTTP API (FastAPI on uvicorn): /api/v1, docs at /api/docs.

    Example: marketloop serve --host 0.0.0.0 --port 8000 --workers 4 (with several workers,
    set [api] limits_storage = "redis://..." so they share the rate limits).
    """
    import uvicorn

    from marketloop.api.app import create_app

    settings = state(ctx).settings(workspace)
    app = create_app(settings)  # checks the pepper and the database before listening
    if workers > 1 and settings.api.limits_storage.startswith("memory"):
        console.print("[yellow]warning:[/] with memory:// limits each worker counts alone")
    console.print(f"serving http://{host}:{port}/api/v1 (docs: /api/docs)")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level=settings.log_level, proxy_headers=False)
        return
    os.environ["MARKETLOOP_WORKSPACE"] = str(settings.workspace.resolve())
    cli = state(ctx)
    if cli.config is not None:
        os.environ["MARKETLOOP_CONFIG"] = str(cli.config.resolve())
    uvicorn.run(
        "marketloop.api.cli:app_factory", factory=True, host=host, port=port, workers=workers,
        log_level=settings.log_level, proxy_headers=False,
    )  # fmt: skip


def app_factory() -> Any:
    """What each worker process builds (settings from MARKETLOOP_* and the config file)."""
    from marketloop.api.app import create_app
    from marketloop.config import load_settings

    return create_app(load_settings())


def _engine(ctx: typer.Context, workspace: Any) -> Any:
    from marketloop.appdb import open_app_db
    from marketloop.config import app_db_url

    return open_app_db(app_db_url(state(ctx).settings(workspace)))


def _engine_and_pepper(ctx: typer.Context, workspace: Any) -> tuple[Any, bytes]:
    """Only `keys create` needs the pepper (and makes one in local mode): the other commands
    must not write it into a workspace they only read or refuse."""
    from marketloop.api.keys import pepper

    return _engine(ctx, workspace), pepper(state(ctx).settings(workspace))


def _whoami() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@keys_app.command("create")
def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", "-n", help="Who or what uses the key.")],
    scopes: Annotated[
        list[str],
        list_option(
            "--scope", "-s", metavar="<read|write|run|admin|metrics>", help="What the key may do."
        ),
    ],
    expires: Annotated[
        str | None, typer.Option(help="Lifetime (90d, 12h, 2w) or an ISO date; default never.")
    ] = None,
    fmt: Annotated[
        KeyFormat, format_option("table or json (the key is a secret: no file formats).")
    ] = KeyFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Create an API key and print it once: only its prefix and an HMAC are kept.

    Example: marketloop keys create --name zapier --scope read,run --expires 90d --format json
    """
    from marketloop.api import auditlog
    from marketloop.api.keys import create_key, parse_expiry
    from marketloop.api.scopes import parse_scopes

    try:
        chosen = parse_scopes(",".join(scopes or []))  # `--scope ""` arrives as None
    except ValueError as exc:
        raise UsageError(f"--scope: {exc}") from None
    when = parse_expiry(expires, datetime.now(UTC))
    engine, pepper_value = _engine_and_pepper(ctx, workspace)
    key, info = create_key(engine, pepper_value, name, chosen, when)
    auditlog.record(engine, actor=_whoami(), key_id=None, action="keys.create",
                    target=info.prefix, client="cli",
                    detail={"name": info.name, "scopes": [str(s) for s in chosen]})  # fmt: skip
    if fmt is KeyFormat.json:
        emit_json({"key": key, "id": info.id, "prefix": info.prefix, "name": info.name,
                   "scopes": [str(s) for s in chosen], "expires_at": info.expires_at})  # fmt: skip
        return
    typer.echo(key)
    console.print(
        f"key {info.id} ({info.prefix}) for {escape(info.name)}: "
        "store it now, it is not shown again"
    )


@keys_app.command("list")
def list_command(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List API keys: prefix, scopes, expiry, revocation, last use and request count.

    Example: marketloop keys list --format json
    """
    from marketloop.api.keys import list_keys

    engine = _engine(ctx, workspace)
    rows = [k.as_dict() for k in list_keys(engine)]
    emit_rows(rows, fmt, columns=KEY_COLUMNS, title="API keys", out=out)


@keys_app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    key_id: Annotated[
        int, typer.Argument(metavar="ID", min=1, max=2**63 - 1, help="The key's id (keys list).")
    ],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke an API key: it stops working at once here, within [api] key_cache_seconds in a
    running server.

    Example: marketloop keys revoke 3
    """
    from marketloop.api import auditlog
    from marketloop.api.keys import revoke_key

    engine = _engine(ctx, workspace)
    info = revoke_key(engine, key_id)
    auditlog.record(engine, actor=_whoami(), key_id=None, action="keys.revoke",
                    target=info.prefix, client="cli")  # fmt: skip
    console.print(f"revoked key {info.id} ({info.prefix}, {escape(info.name)})")


@keys_app.command("audit")
def audit_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Newest entries shown.")] = 50,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The audit log: every write action through the API or these commands, newest first.

    Example: marketloop keys audit --limit 200 --format csv --out audit-log.csv
    """
    from marketloop.api import auditlog

    engine = _engine(ctx, workspace)
    rows = auditlog.entries(engine, limit=limit)
    emit_rows(rows, fmt, columns=("id", "at", "actor", "key_id", "action", "target", "client"),
              title="audit log", out=out)  # fmt: skip
