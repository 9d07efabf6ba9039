"""Commands of publishing.

marketloop briefs publish DIR --to notion|webhook   (`publish_command`, in the briefs group)
marketloop notion check | setup                      (is the database ready for briefs?)
marketloop webhooks test | deliveries                (send a ping; what was delivered)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_rows,
    esc,
    plain,
    progress,
    state,
)
from marketloop.config import Settings, app_db_url, require_secret
from marketloop.errors import IntegrationError
from marketloop.integrations import records
from marketloop.integrations.briefs_folder import read_folder
from marketloop.integrations.notion import NotionClient
from marketloop.integrations.notion_schema import data_source_id, missing_columns, read_schema
from marketloop.integrations.publish import Outcome, publish_to_notion, publish_to_webhooks, tally
from marketloop.integrations.webhooks import Event, WebhookSender

notion_app = typer.Typer(
    help="Check and prepare the Notion database briefs are published to.\n\n"
    "Example: marketloop notion check"
)
webhooks_app = typer.Typer(
    help="Send a test event to the webhook URLs; list recorded deliveries.\n\n"
    "Example: marketloop webhooks test"
)


class Target(StrEnum):
    notion = "notion"
    webhook = "webhook"


DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-id", help="Notion database to use (default: \\[notion] database_id)."),
]
UrlOption = Annotated[
    list[str] | None,
    typer.Option(
        "--url",
        help="Webhook URL; repeat for several (no comma lists: a URL can hold a comma). "
        "Replaces \\[webhooks] urls.",
    ),
]


def publish_command(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(
            help="Folder written by `marketloop briefs generate --out DIR`: <slug>.json briefs, "
            "with <slug>.md drafts where written.",
            show_default=False,
        ),
    ],
    to: Annotated[
        Target,
        typer.Option(
            "--to",
            help="notion: one page per brief in the \\[notion] database, updated in place when "
            "published again. webhook: a signed brief.created event to every \\[webhooks] URL.",
        ),
    ],
    workspace: WorkspaceOption = None,
    database_id: DatabaseOption = None,
    url: UrlOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Send webhook events again that were delivered before.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Publish briefs to Notion or to webhooks (Zapier Catch Hooks work as is).

    Safe to run again: pages are found by their marketloop_id and updated, only missing blocks
    are written, and webhook events already delivered are not sent twice.

    Example: marketloop briefs publish briefs/ --to notion
    """
    settings = state(ctx).settings(workspace, notion={"database_id": database_id})
    entries = read_folder(folder)
    targets = 1 if to is Target.notion else len(url or settings.webhooks.urls)
    with _progress(f"publishing to {to}", len(entries) * targets) as step:
        if to is Target.notion:
            outcomes = publish_to_notion(entries, settings, on_outcome=step)
        else:
            outcomes = publish_to_webhooks(
                entries, settings, urls=url, force=force, on_outcome=step
            )
    emit_rows([o.row() for o in outcomes], fmt, title=f"Briefs published to {to}", out=out)
    partial = [o.brief for o in outcomes if o.action == "partial"]
    if partial:
        console.print(
            f"[yellow]published without the blocks Notion rejected:[/] {esc(', '.join(partial))} "
            "(see detail; the next run tries them again)"
        )
    tally(
        outcomes,
        hint="fix the cause and run the same command again: what was published is updated, "
        "not duplicated",
    )


@notion_app.command("check")
def notion_check(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    database_id: DatabaseOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Check the token, that the database is shared with the integration, and its columns.

    Example: MARKETLOOP_NOTION_TOKEN=... marketloop notion check --database-id 1f2e3d4c
    """
    settings = state(ctx).settings(workspace, notion={"database_id": database_id})
    with _notion(settings) as client:
        source = client.data_source(data_source_id(client, settings.notion))
        schema = read_schema(source, settings.notion)
    rows = [{"field": c.field, "column": c.name, "type": c.type} for c in schema.columns.values()]
    emit_rows(rows, fmt, title=f"Data source {schema.data_source_id} is ready for briefs", out=out)


@notion_app.command("setup")
def notion_setup(
    ctx: typer.Context, workspace: WorkspaceOption = None, database_id: DatabaseOption = None
) -> None:
    """Add the columns briefs need that the database lacks (a missing status becomes a select).

    Example: marketloop notion setup --database-id 1f2e3d4c && marketloop notion check
    """
    settings = state(ctx).settings(workspace, notion={"database_id": database_id})
    with _notion(settings) as client:
        source_id = data_source_id(client, settings.notion)
        missing = missing_columns(client.data_source(source_id), settings.notion)
        if missing:
            client.add_properties(source_id, missing)
        read_schema(client.data_source(source_id), settings.notion)
    for name, kind in missing.items():
        console.print(plain(f"added column {name} ({next(iter(kind))})"))
    if not missing:
        console.print("nothing to add: every column is there")


@webhooks_app.command("test")
def webhooks_test(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    url: UrlOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Send a signed `ping` event to every webhook URL and show how each answered.

    Example: marketloop webhooks test --url https://hooks.zapier.com/hooks/catch/123/abc/
    """
    settings = state(ctx).settings(workspace)
    with WebhookSender(settings) as sender:
        deliveries = sender.send(Event(type="ping", data={"message": "hello from marketloop"}), url)
    emit_rows([vars(d) for d in deliveries], fmt, columns=_DELIVERY_COLUMNS[1:], out=out)
    if not all(d.delivered for d in deliveries):
        raise IntegrationError("a webhook URL did not accept the ping", hint="see the error column")


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=10_000, help="How many, newest first.")
    ] = 50,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Recorded webhook deliveries (URLs redacted), newest first.

    Example: marketloop webhooks deliveries --limit 20 --format json
    """
    rows = records.recent_deliveries(app_db_url(state(ctx).settings(workspace)), limit)
    emit_rows(
        [{c: getattr(r, c) for c in _DELIVERY_COLUMNS} for r in rows],
        fmt,
        columns=_DELIVERY_COLUMNS,
        out=out,
    )


_DELIVERY_COLUMNS = [
    "created_at",
    "event_type",
    "event_id",
    "url",
    "delivered",
    "status",
    "attempts",
    "latency_ms",
    "error",
]


@contextmanager
def _notion(settings: Settings) -> Iterator[NotionClient]:
    token = require_secret(settings.notion.token, section="notion", field="token")
    with NotionClient(settings.notion, token) as client:
        yield client


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[Outcome], None]]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with progress(*columns) as bar:
        task = bar.add_task(label, total=total)

        def step(outcome: Outcome) -> None:
            bar.advance(task)
            bar.console.print(plain(f"{outcome.action:>12}  {outcome.brief}  {outcome.link}"))

        yield step
