"""The named dependencies every route uses (STYLE.md habit 16). Tests swap one with
`app.dependency_overrides[...]`, never by patching modules.

    SettingsDep    the settings the app was built from
    EngineDep      the app database (SQLAlchemy engine, migrated)
    WorkspaceDep   the workspace folder
    PrincipalDep   the calling key (authorise has checked its scope and rate limit)
    IdempotencyDep Stripe-style Idempotency-Key handling for a POST
    WarehouseDep   a read-only warehouse connection for this request only (busy -> 503)
    ClientDep      the client address (X-Forwarded-For only from trusted proxies)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from marketloop.api.auth import Principal
from marketloop.api.context import ApiContext
from marketloop.api.edge import RATE_HEADERS
from marketloop.api.errors import Forbidden, NotFound, Unauthenticated, UnsupportedMediaType
from marketloop.api.idempotency import HEADER, Idempotency, request_hash
from marketloop.api.scopes import PUBLIC, ROUTES, SIGNED, Scope
from marketloop.api.throttle import client_address
from marketloop.config import Settings
from marketloop.quality.warehouse import (
    Warehouse,
    WarehouseBusy,
    connect,
    target_from_settings,
)
from marketloop.workspace import Workspace

#: seconds a client is told to wait for a warehouse a job is writing
BUSY_RETRY_AFTER = 10.0
#: public routes that are never limited (orchestrators probe them constantly)
UNLIMITED = {"/healthz", "/readyz", "/metrics"}


async def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.api
    return ctx


ContextDep = Annotated[ApiContext, Depends(context)]


async def settings(ctx: ContextDep) -> Settings:
    return ctx.settings


async def engine(ctx: ContextDep) -> Engine:
    return ctx.engine


async def workspace(ctx: ContextDep) -> Workspace:
    return Workspace(ctx.settings.workspace)


def client(request: Request, ctx: ContextDep) -> str:
    """The client address (pure, so cheap dependencies stay off the thread pool)."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), ctx.proxies)


SettingsDep = Annotated[Settings, Depends(settings)]
EngineDep = Annotated[Engine, Depends(engine)]
WorkspaceDep = Annotated[Workspace, Depends(workspace)]


# cheap dependencies are `async def`: FastAPI runs a plain `def` one on the thread pool
async def client_dep(request: Request, ctx: ContextDep) -> str:
    return client(request, ctx)


ClientDep = Annotated[str, Depends(client_dep)]


def route_scope(request: Request, settings: Settings) -> Scope | str:
    """The scope the matched route needs, from the one table (scopes.ROUTES); /metrics is
    public only when `[observe] metrics_public` says the network is private."""
    route = request.scope.get("route")
    path = getattr(route, "path", "")
    needed = ROUTES[(request.method, path)]
    if needed == Scope.metrics and settings.observe.metrics_public:
        return PUBLIC
    return needed


def signed_instead(request: Request) -> bool:
    """A call of a hook route (scopes.SIGNED) with a webhook signature and no key."""
    path = getattr(request.scope.get("route"), "path", "")
    return (
        (request.method, path) in SIGNED
        and "authorization" not in request.headers
        and "webhook-signature" in request.headers
    )


async def authorise(request: Request, ctx: ContextDep) -> Principal | None:
    """Every route's gate: the key (401), its scope (403) and its rate limit (429), in that
    order; requests without a valid key are limited per client address. A hook route takes a
    valid Standard Webhooks signature instead of a key (then the principal is None)."""
    needed = route_scope(request, ctx.settings)
    state = request.scope.setdefault("state", {})
    if needed == PUBLIC:
        if request.url.path not in UNLIMITED:
            state[RATE_HEADERS] = await ctx.throttle.hit("anonymous", client(request, ctx))
        return None
    if signed_instead(request):  # limited per address, like every call without a key
        state[RATE_HEADERS] = await ctx.throttle.hit("anonymous", client(request, ctx))
        await signed_hook(request.path_params.get("name", ""), request, ctx)
        return None
    try:
        principal = await ctx.auth.principal(request.headers.get("authorization"))
    except Unauthenticated:
        state[RATE_HEADERS] = await ctx.throttle.hit("anonymous", client(request, ctx))
        raise
    if needed not in principal.scopes:
        raise Forbidden(
            f"API key {principal.prefix} lacks the {needed} scope this route needs",
            hint=f"create a key with --scope {needed}",
        )
    state[RATE_HEADERS] = await ctx.throttle.hit(str(needed), str(principal.key_id))
    if ctx.usage.count(principal.key_id):
        import anyio.to_thread

        await anyio.to_thread.run_sync(ctx.usage.flush)
    return principal


async def json_only(request: Request) -> None:
    """A body sent to the API must be JSON (415 otherwise): every route that takes one takes
    JSON, so a form or XML body is refused before anything reads it."""
    if request.method not in {"POST", "PUT", "PATCH"}:
        return
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    sized = request.headers.get("content-length", "0") not in {"", "0"}
    chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
    if (sized or chunked) and kind != "application/json" and not kind.endswith("+json"):
        raise UnsupportedMediaType(
            f"the body must be application/json, not {kind[:60] or 'untyped'}",
            hint="send Content-Type: application/json",
        )


async def current_principal(
    principal: Annotated[Principal | None, Depends(authorise)],
) -> Principal:
    if principal is None:  # a public route asked for a principal: a programming error
        raise Unauthenticated("this route needs an API key", error="")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def idempotency(request: Request, ctx: ContextDep, principal: PrincipalDep) -> Idempotency:
    body = await request.body()
    fingerprint = request_hash(request.method, request.url.path, request.url.query, body)
    return Idempotency(
        ctx.engine,
        principal.key_id,
        request.headers.get(HEADER),
        fingerprint,
        ctx.settings.api.idempotency_hours,
    )


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]


def warehouse(ctx: ContextDep) -> Iterator[Warehouse]:
    """Opened read-only for this request and closed after it; DuckDB is read from its read
    copy (quality/readcopy.py), so a job writing it changes nothing here. Only a warehouse that
    has no copy yet and is being written answers 503 with Retry-After (WarehouseBusy is
    transient) instead of waiting."""
    target = target_from_settings(ctx.settings)
    if target.kind == "duckdb" and (target.path is None or not target.path.is_file()):
        raise NotFound("there is no warehouse yet", hint="load data with `marketloop ingest`")
    try:
        opened = connect(target, read_only=True, snapshot=True)
        wh = opened.__enter__()
    except WarehouseBusy:  # the message names files and processes: not for clients
        raise WarehouseBusy(
            "the warehouse is busy with a writing job",
            hint="try again shortly",
            retry_after=BUSY_RETRY_AFTER,
        ) from None
    try:
        if target.kind == "postgres":  # DuckDB is opened read-only; PostgreSQL is told so
            wh.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        yield wh
    finally:
        opened.__exit__(None, None, None)


WarehouseDep = Annotated[Warehouse, Depends(warehouse)]


async def signed_hook(name: str, request: Request, ctx: ContextDep) -> bytes:
    """The body of an inbound hook `name` (`[api.hooks.NAME]`) whose Standard Webhooks
    signature checks out; 404 for an unknown hook, 401 for a bad or replayed signature."""
    from marketloop.api.hooks import verify

    hook = ctx.settings.api.hooks.get(name)
    if hook is None:
        raise NotFound(f"no inbound hook {name!r}", hint="configure it under [api.hooks.NAME]")
    body = await request.body()
    verify(hook.secret.get_secret_value(), request.headers, body)
    return body


SignedHookDep = Annotated[bytes, Depends(signed_hook)]
