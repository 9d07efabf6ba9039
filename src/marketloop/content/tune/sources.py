"""Where a training set comes from: the briefs folder (`briefs generate --out DIR`: briefs,
drafts and the guardrail checks each draft passed), the editors' decisions (`content_reviews`)
and, when Notion is configured, the published pages read back for edits.

    found, skipped = approved_briefs(folder, latest(engine), since=None, pages=reader)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from marketloop.content.folder import BriefFolder
from marketloop.content.tune.dataset import Approved
from marketloop.content.tune.notion_text import PageReader
from marketloop.content.tune.reviews import ReviewState
from marketloop.errors import ContentError


def approved_briefs(
    root: Path,
    reviews: Mapping[str, ReviewState],
    *,
    since: datetime | None = None,
    pages: PageReader | None = None,
) -> tuple[list[Approved], list[dict[str, str]]]:
    """Approved briefs with a draft and an eval record, and why every other brief was skipped."""
    if not root.is_dir():
        raise ContentError(
            f"briefs folder {root} does not exist",
            hint="pass --briefs DIR: the folder `marketloop briefs generate --out DIR` wrote",
        )
    folder = BriefFolder(root)
    found: list[Approved] = []
    skipped: list[dict[str, str]] = []
    for path in sorted(root.glob("*.json")):
        slug = path.stem
        if slug.startswith("_"):
            continue
        reason, item = _one(folder, slug, reviews.get(slug), since, pages)
        if item is not None:
            found.append(item)
        else:
            skipped.append({"slug": slug, "reason": reason})
    return found, skipped


def _one(
    folder: BriefFolder,
    slug: str,
    review: ReviewState | None,
    since: datetime | None,
    pages: PageReader | None,
) -> tuple[str, Approved | None]:
    if review is None or review.decision != "approved":
        return ("not approved" if review is None else review.decision), None
    if since is not None and review.at < since:
        return f"approved before {since.date()}", None
    brief = folder.existing_brief(slug)
    if brief is None:
        return "not a valid brief", None
    if not folder.has_draft(slug):
        return "no draft", None
    checks = folder.read_checks(slug)
    if not checks:
        return "no eval record (checks/<slug>.json)", None
    draft = folder.draft_path(slug).read_text(encoding="utf-8")
    score = sum(c.passed for c in checks) / len(checks)
    edited = pages.edited(brief, draft) if pages is not None else None
    return "", Approved(brief, draft, score, review.at, edited)
