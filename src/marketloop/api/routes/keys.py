"""API key administration (`admin` scope): list, create (the key is in this response only),
revoke; and the audit log of write actions.

Key creation ignores `Idempotency-Key`: a stored response would be a second copy of the key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from marketloop.api import auditlog
from marketloop.api.deps import ClientDep, ContextDep, EngineDep, PrincipalDep
from marketloop.api.keys import KeyInfo, create_key, list_keys, parse_expiry, revoke_key
from marketloop.api.pagination import LimitQuery, ListPage, page_of
from marketloop.api.scopes import PREFIX, Scope

router = APIRouter(prefix=PREFIX, tags=["keys"])


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    request_count: int


class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    expires: str | None = Field(None, max_length=40, description="90d, 12h, 2w or an ISO date")


class KeyCreated(KeyOut):
    key: str = Field(description="the key itself: shown in this response only")


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    key_id: int | None
    action: str
    target: str
    client: str
    detail: dict[str, Any]


def _out(info: KeyInfo) -> KeyOut:
    return KeyOut.model_validate(info.as_dict())


@router.get("/keys", response_model=ListPage[KeyOut])
def get_keys(engine: EngineDep, _: PrincipalDep) -> ListPage[KeyOut]:
    keys = [_out(k) for k in list_keys(engine)]
    return ListPage[KeyOut](data=keys, has_more=False)


@router.post("/keys", response_model=KeyCreated, status_code=201)
def post_key(
    body: KeyCreate, ctx: ContextDep, principal: PrincipalDep, address: ClientDep
) -> KeyCreated:
    expires = parse_expiry(body.expires, datetime.now(UTC))
    key, info = create_key(ctx.engine, ctx.auth.pepper, body.name, body.scopes, expires)
    auditlog.record(
        ctx.engine, actor=principal.name, key_id=principal.key_id, action="keys.create",
        target=info.prefix, client=address,
        detail={"name": info.name, "scopes": [str(s) for s in info.scopes]},
    )  # fmt: skip
    return KeyCreated(**_out(info).model_dump(), key=key)


@router.delete("/keys/{key_id}", response_model=KeyOut)
def delete_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    ctx: ContextDep,
    principal: PrincipalDep,
    address: ClientDep,
) -> KeyOut:
    info = revoke_key(ctx.engine, key_id)
    ctx.auth.forget(key_id)
    auditlog.record(
        ctx.engine, actor=principal.name, key_id=principal.key_id, action="keys.revoke",
        target=info.prefix, client=address,
    )  # fmt: skip
    return _out(info)


@router.get("/audit-log", response_model=ListPage[AuditEntryOut])
def get_audit_log(
    engine: EngineDep,
    _: PrincipalDep,
    limit: LimitQuery = 50,
    starting_after: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> ListPage[AuditEntryOut]:
    rows = auditlog.entries(engine, limit=limit + 1, before=starting_after)
    return page_of([AuditEntryOut.model_validate(r) for r in rows], limit)
