"""What a brief does about the site's existing pages, from the cluster's coverage status.

    gap           → action `new`: a new piece
    covered       → action `update`: improve the page that serves the cluster (`target_url`)
    cannibalised  → action `consolidate`: merge the pages splitting the cluster into the
                    strongest one (`target_url`) and redirect the others to it

For `update` and `consolidate` the outline's notes say, per subtopic section, whether the
existing page already has it (refresh) or lacks it (add), judged from its H1/H2 words in the crawl.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from marketloop.content.brief import OutlineItem
from marketloop.content.outline import SUBTOPIC_NOTE
from marketloop.content.site import SitePage
from marketloop.content.text import tokens
from marketloop.keywords.model import Cluster

Action = Literal["new", "update", "consolidate"]
REFRESH = "Refresh: the page has this section."
ADD = "Add: the page lacks this section."
ACTIONS: dict[str, Action] = {"gap": "new", "covered": "update", "cannibalised": "consolidate"}


@dataclass(frozen=True)
class Plan:
    action: Action
    target_url: str | None  # the page to update or consolidate into; None for a new piece
    existing_pages: list[str]  # every site page seen for the cluster, strongest first


def plan_for(cluster: Cluster) -> Plan:
    pages = list(dict.fromkeys(p for p in [cluster.page, *cluster.pages] if p))
    action = ACTIONS.get(cluster.status, "new") if pages else "new"
    return Plan(action, pages[0] if action != "new" else None, pages)


def annotate(outline: list[OutlineItem], plan: Plan, page: SitePage | None) -> list[OutlineItem]:
    """The outline with what to do to the existing page: a lead note, and per H2 add/refresh."""
    if plan.action == "new" or plan.target_url is None:
        return outline
    has = _headings(page)
    items = [_with_note(outline[0], _lead(plan, page))]
    for item in outline[1:]:
        if item.level == 2 and has and item.notes.startswith(SUBTOPIC_NOTE):
            items.append(_with_note(item, REFRESH if _covers(has, item.heading) else ADD))
        else:
            items.append(item)
    return items


def _lead(plan: Plan, page: SitePage | None) -> str:
    if plan.action == "update":
        note = f"Update the existing page {plan.target_url} (keep its URL)"
    else:
        others = ", ".join(u for u in plan.existing_pages if u != plan.target_url)
        note = (
            f"Consolidate into {plan.target_url} (keep its URL): merge the useful parts of "
            f"{others} and 301-redirect them here"
        )
    if page is None:
        return note + "; compare it with this outline and add the sections it lacks."
    return note + "; sections marked Add are missing from it, Refresh ones are there."


def _headings(page: SitePage | None) -> list[frozenset[str]]:
    if page is None:
        return []
    found = [tokens(h) for h in (page.h1, *page.h2)]
    return [t for t in found if t]


def _covers(headings: Sequence[frozenset[str]], heading: str) -> bool:
    """An existing heading holds at least half the words of the outline heading."""
    want = tokens(heading)
    return bool(want) and any(len(want & h) * 2 >= len(want) for h in headings)


def _with_note(item: OutlineItem, note: str) -> OutlineItem:
    notes = f"{note} {item.notes}".strip()
    return item.model_copy(update={"notes": notes})
