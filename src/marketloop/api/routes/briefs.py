"""Briefs (WORKSPACE/briefs, what `briefs generate --out` writes) with their drafts, the
drafts' guardrail results, and the review decision; and approving or rejecting one.

Decisions are the create stage's reviews (`content_reviews`, content/tune/reviews.py): the same
rows `marketloop tune review` writes and `tune dataset` trains on."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from marketloop.api import auditlog
from marketloop.api.deps import ClientDep, EngineDep, IdempotencyDep, PrincipalDep, WorkspaceDep
from marketloop.api.errors import NotFound
from marketloop.api.pagination import CursorQuery, LimitQuery, ListPage, page_of
from marketloop.api.scopes import PREFIX
from marketloop.content.folder import BriefFolder
from marketloop.content.tune import reviews
from marketloop.errors import UsageError
from marketloop.workspace import Workspace

router = APIRouter(prefix=PREFIX, tags=["briefs"])

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,199}$")
Slug = Annotated[str, Path(max_length=200, description="the brief's slug")]


class Review(BaseModel):
    decision: Literal["approved", "rejected"]
    comment: str
    actor: str
    at: datetime


class ReviewIn(BaseModel):
    decision: Literal["approve", "reject"]
    comment: str = Field("", max_length=5000)


def _folder(workspace: Workspace) -> BriefFolder:
    return BriefFolder(workspace.root / "briefs")


def _slugs(folder: BriefFolder) -> list[str]:
    return sorted(p.stem for p in folder.root.glob("*.json") if SLUG.match(p.stem))


def _reviews(engine: Engine, slugs: list[str]) -> dict[str, Review]:
    wanted = set(slugs)
    return {
        slug: Review(decision=state.decision, comment=state.note or "",
                     actor=state.reviewer or "", at=state.at)
        for slug, state in reviews.latest(engine).items()
        if slug in wanted
    }  # fmt: skip


def _brief(folder: BriefFolder, slug: str) -> dict[str, Any]:
    if not SLUG.match(slug):
        raise NotFound(f"no brief {slug!r}")
    brief = folder.existing_brief(slug)
    if brief is None:
        raise NotFound(f"no brief {slug!r}", hint="GET /api/v1/briefs lists them")
    return brief.model_dump(mode="json")


@router.get("/briefs", response_model=ListPage[dict[str, Any]])
def list_briefs(
    workspace: WorkspaceDep, engine: EngineDep, limit: LimitQuery = 50,
    starting_after: CursorQuery = None,
) -> ListPage[dict[str, Any]]:  # fmt: skip
    """Briefs by slug, with whether each has a draft and its review decision."""
    folder = _folder(workspace)
    slugs = _slugs(folder)
    if starting_after is not None:
        if starting_after not in slugs:
            raise UsageError(f"starting_after {starting_after[:80]!r} is no brief slug")
        slugs = slugs[slugs.index(starting_after) + 1 :]
    chosen = slugs[: limit + 1]
    reviews = _reviews(engine, chosen)
    rows = []
    for slug in chosen:
        brief = folder.existing_brief(slug)
        if brief is not None:
            review = reviews.get(slug)
            rows.append({"id": slug, "title": brief.title_options[0], "cluster": brief.cluster,
                         "has_draft": folder.has_draft(slug),
                         "review": review.model_dump(mode="json") if review else None})  # fmt: skip
    return page_of(rows, limit)


@router.get("/briefs/{slug}", response_model=dict[str, Any])
def get_brief(slug: Slug, workspace: WorkspaceDep, engine: EngineDep) -> dict[str, Any]:
    """One brief, its draft (Markdown), the draft's guardrail results and its review."""
    folder = _folder(workspace)
    brief = _brief(folder, slug)
    draft = folder.draft_path(slug).read_text("utf-8") if folder.has_draft(slug) else None
    review = _reviews(engine, [slug]).get(slug)
    return {
        "id": slug, "brief": brief, "draft": draft,
        "checks": [c.as_dict() for c in folder.read_checks(slug)],
        "review": review.model_dump(mode="json") if review else None,
    }  # fmt: skip


@router.post("/briefs/{slug}/review", response_model=Review, status_code=201)
def review_brief(
    slug: Slug, body: ReviewIn, workspace: WorkspaceDep, engine: EngineDep,
    principal: PrincipalDep, idem: IdempotencyDep, address: ClientDep,
) -> JSONResponse:  # fmt: skip
    """Approve or reject a brief, with a comment; the latest decision is the brief's state."""
    _brief(_folder(workspace), slug)
    decision = "approved" if body.decision == "approve" else "rejected"

    def record() -> Review:
        now = datetime.now(UTC)
        reviews.record(engine, [slug], decision, reviewer=principal.name, note=body.comment, at=now)
        auditlog.record(
            engine, actor=principal.name, key_id=principal.key_id, action=f"briefs.{decision}",
            target=slug, client=address, detail={"comment": body.comment[:500]},
        )  # fmt: skip
        return Review(decision=decision, comment=body.comment, actor=principal.name, at=now)

    return idem.run(record, status_code=201)
