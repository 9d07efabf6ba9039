"""`GET /api/v1/scopes`: the scopes a key can hold, with what each allows."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from marketloop.api.scopes import DESCRIPTIONS, PREFIX, Scope

router = APIRouter(prefix=PREFIX, tags=["meta"])


class ScopeInfo(BaseModel):
    name: Scope
    description: str


class ScopeList(BaseModel):
    object: str = "list"
    data: list[ScopeInfo]
    has_more: bool = False


SCOPES = ScopeList(data=[ScopeInfo(name=s, description=DESCRIPTIONS[s]) for s in Scope])


@router.get("/scopes", response_model=ScopeList)
async def list_scopes() -> ScopeList:
    return SCOPES
