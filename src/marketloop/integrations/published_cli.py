"""Commands of the closed loop, in the `briefs` group:

marketloop briefs live SLUG --url URL [--at WHEN]   record where and when a brief went live
marketloop briefs performance [--weekly]            how published briefs did, before and after
marketloop briefs decaying                          pages whose clicks fell (update briefs next)

The figures come from the marts of the last `marketloop quality run` (quality/outcomes.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_rows,
    state,
)
from marketloop.config import app_db_url
from marketloop.integrations.briefs_folder import read_folder
from marketloop.integrations.published import mark_live
from marketloop.quality.outcomes import content_performance, decaying_pages, performance_summary

SUMMARY_COLUMNS = [
    "slug", "url", "published_at", "clicks_before", "clicks_after", "clicks_since",
    "position_before", "position_after", "sessions_before", "sessions_after",
    "leads_before", "leads_after",
]  # fmt: skip
WEEK_COLUMNS = [
    "slug", "week", "period", "week_start", "week_end", "clicks", "impressions", "ctr",
    "position", "sessions", "leads",
]  # fmt: skip


def live_command(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The brief's slug (its file name without .json).")],
    url: Annotated[str, typer.Option("--url", help="The live page's URL (http or https).")],
    at: Annotated[
        str | None,
        typer.Option("--at", help="When it went live: YYYY-MM-DD or an ISO time (default: now)."),
    ] = None,
    briefs: Annotated[
        Path | None,
        typer.Option("--briefs", help="Briefs folder to take the brief's cluster and action from."),
    ] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Record the URL a brief went live at, and when; the next `quality run` measures it.

    Publishing records update briefs with their target URL on its own; a new piece needs its
    URL once it is live. Running it again corrects the URL or the time.

    Example: marketloop briefs live crm-software --url https://www.example.com/crm --at 2026-11-02
    """
    settings = state(ctx).settings(workspace)
    live = parse_url(url)
    when = parse_when(at)
    brief = None
    if briefs is not None:
        brief = next((e.brief for e in read_folder(briefs) if e.slug == slug), None)
        if brief is None:
            raise typer.BadParameter(f"{briefs} holds no valid brief {slug!r}", param_hint="SLUG")
    row = mark_live(app_db_url(settings), slug, live, when, brief)
    emit_rows([row], fmt, columns=["slug", "action", "url", "published_at", "channel"], out=out)


def performance_command(
    ctx: typer.Context,
    weekly: Annotated[
        bool, typer.Option("--weekly", help="One row per brief and week instead of per brief.")
    ] = False,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """How each published brief's URL did: 28 days before publication, 28 after, and since.

    Example: marketloop briefs performance --weekly --format csv > performance.csv
    """
    rows = content_performance(state(ctx).settings(workspace))
    if not rows:
        console.print("nothing measured yet: publish briefs, then run `marketloop quality run`")
    if weekly:
        emit_rows(rows, fmt, columns=WEEK_COLUMNS, title="Published briefs by week", out=out)
    else:
        summary = performance_summary(rows)
        emit_rows(summary, fmt, columns=SUMMARY_COLUMNS, title="Published briefs", out=out)


def decaying_command(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
) -> None:
    """Pages whose clicks fell by more than quality.decay_share over the last 28 days.

    `briefs generate` writes an update brief for each. Example: marketloop briefs decaying -f json
    """
    pages = decaying_pages(state(ctx).settings(workspace))
    rows = [vars(page) for page in pages]
    columns = ["url", "clicks_before", "clicks_recent", "clicks_change", "queries"]
    emit_rows(rows, fmt, columns=columns, title="Decaying pages", out=out)


def parse_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or any(ord(c) < 32 for c in url):
        raise typer.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
    return url.strip()


def parse_when(value: str | None) -> datetime:
    """YYYY-MM-DD (midnight UTC) or an ISO time (UTC when it has no offset); not in the future."""
    now = datetime.now(UTC)
    if value is None:
        return now
    try:
        when = (
            datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
            if len(value) == 10
            else datetime.fromisoformat(value)
        )
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD) or an ISO time", param_hint="--at"
        ) from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when > now:
        raise typer.BadParameter(f"{value} is in the future", param_hint="--at")
    return when.astimezone(UTC)
