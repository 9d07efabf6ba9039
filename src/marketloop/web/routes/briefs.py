"""Briefs: the review queue; a brief and its draft side by side with the guardrail results;
approve, request changes (a rejection with a comment), publish to Notion; the decisions.

Decisions are the create stage's `content_reviews` rows, the same the API and `tune review`
write; an audit-log entry names the dashboard user."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from marketloop.api import auditlog
from marketloop.api.deps import client
from marketloop.api.errors import NotFound
from marketloop.api.routes.briefs import SLUG
from marketloop.content.folder import BriefFolder
from marketloop.content.tune import reviews
from marketloop.content.tune.tables import Review
from marketloop.errors import MarketloopError, UsageError
from marketloop.web import loaders
from marketloop.web.deps import EditorDep, ViewerDep
from marketloop.web.render import render
from marketloop.workspace import Workspace

router = APIRouter()
STATES = ("waiting", "approved", "rejected")


def _folder(who: Any) -> BriefFolder:
    return BriefFolder(Workspace(who.api.settings.workspace).root / "briefs")


@router.get("/briefs")
def queue(request: Request, who: ViewerDep,
          state: Annotated[str | None, Query(max_length=16)] = None) -> Response:  # fmt: skip
    rows = loaders.briefs(who.api.settings, who.api.engine)
    for row in rows:
        row["state"] = row["review"].decision if row["review"] else "waiting"
    shown = [r for r in rows if not state or r["state"] == state]
    return render(request, "briefs.html", {"who": who, "title": "Briefs", "rows": shown,
                  "total": len(rows), "state": state or "", "states": STATES})  # fmt: skip


def _history(engine: Any, slug: str) -> list[Any]:
    with engine.connect() as con:
        query = sa.select(Review).where(Review.slug == slug).order_by(Review.id.desc())
        return list(con.execute(query))


@router.get("/briefs/{slug}")
def brief(request: Request, who: ViewerDep, slug: str, message: str | None = None,
          error: str | None = None, status: int = 200) -> Response:  # fmt: skip
    folder = _folder(who)
    found = folder.existing_brief(slug) if SLUG.match(slug) else None
    if found is None:
        raise NotFound(f"no brief {slug[:80]!r}", hint="the review queue lists them")
    draft = folder.draft_path(slug).read_text("utf-8") if folder.has_draft(slug) else None
    return render(request, "brief.html", {
        "who": who, "title": found.title_options[0], "slug": slug, "brief": found,
        "draft": draft, "checks": folder.read_checks(slug),
        "history": _history(who.api.engine, slug), "message": message, "error": error,
    }, status=status)  # fmt: skip


@router.post("/briefs/{slug}/review")
async def review(
    request: Request, who: EditorDep, slug: str,
    decision: Annotated[Literal["approve", "request_changes"], Form()],
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:  # fmt: skip
    if _folder(who).existing_brief(slug) is None or not SLUG.match(slug):
        raise NotFound(f"no brief {slug[:80]!r}")
    if decision == "request_changes" and not comment.strip():
        return brief(request, who, slug, error="say what to change in the comment", status=422)
    verdict = "approved" if decision == "approve" else "rejected"
    name = who.user.name if who.user else ""

    def record() -> None:
        reviews.record(who.api.engine, [slug], verdict, reviewer=f"web:{name}", note=comment)
        auditlog.record(
            who.api.engine, actor=f"web:{name}", key_id=None, action=f"briefs.{verdict}",
            target=slug, client=client(request, who.api), detail={"comment": comment[:500]},
        )  # fmt: skip

    await anyio.to_thread.run_sync(record)
    return RedirectResponse(f"/briefs/{slug}", status_code=303)


@router.post("/briefs/{slug}/publish")
async def publish(request: Request, who: EditorDep, slug: str) -> Response:
    """Publish one approved brief to the Notion database of [notion] (as `briefs publish`)."""
    from marketloop.integrations.briefs_folder import read_brief
    from marketloop.integrations.publish import publish_to_notion

    folder = _folder(who)
    state = reviews.latest(who.api.engine).get(slug)
    if state is None or state.decision != "approved":
        return brief(request, who, slug, error="approve the brief before publishing it",
                     status=409)  # fmt: skip
    entry = read_brief(folder.brief_path(slug))
    try:
        if entry is None:
            raise UsageError(f"brief {slug} cannot be read")
        outcomes = await anyio.to_thread.run_sync(
            lambda: publish_to_notion([entry], who.api.settings)
        )
    except MarketloopError as exc:
        return brief(request, who, slug, error=f"not published: {exc.message}", status=409)
    done = outcomes[0]
    if done.failed:
        return brief(request, who, slug, error=f"not published: {done.detail}", status=502)
    return brief(request, who, slug, message=f"published to Notion ({done.action}): {done.link}")
