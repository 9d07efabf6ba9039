"""Cursor pagination, Stripe's contract (STYLE.md habit 19): `limit` and `starting_after` (the
id of the last object of the previous page) in; `data` and `has_more` out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"objects per page, 1 to {MAX_LIMIT}")
]
CursorQuery = Annotated[
    str | None,
    Query(max_length=2048, description="the id of the last object of the previous page"),
]


class ListPage(BaseModel, Generic[T]):
    object: str = "list"
    data: list[T]
    has_more: bool


def page_of(rows: list[T], limit: int) -> ListPage[T]:
    """Rows fetched with `limit + 1` -> one page and whether another follows."""
    return ListPage[T](data=rows[:limit], has_more=len(rows) > limit)
