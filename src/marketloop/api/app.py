"""`create_app(settings)`: the one application object, built from settings and never at import
(STYLE.md habit 15), so tests build apps with different settings side by side.

Routers are listed once in `ROUTERS`; every route passes `deps.authorise` (key, scope, rate
limit) and must have an entry in `scopes.ROUTES`, or the app refuses to build.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from marketloop import __version__
from marketloop.api import keys, problems
from marketloop.api.auth import Authenticator
from marketloop.api.context import ApiContext
from marketloop.api.deps import authorise, json_only
from marketloop.api.edge import Edge
from marketloop.api.routes import (
    audit,
    briefs,
    crawls,
    evals,
    extractions,
    health,
    hooks,
    keywords,
    loops,
    marts,
    meta,
    metrics,
    plan,
    quality,
    runs,
)
from marketloop.api.routes import (
    keys as key_routes,
)
from marketloop.api.scopes import PREFIX, ROUTES
from marketloop.api.throttle import Throttle, trusted_networks
from marketloop.api.usage import UsageRecorder
from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url, register_secrets
from marketloop.errors import ConfigError
from marketloop.observe.facts import DatabaseFacts, freshness_thresholds
from marketloop.observe.http import Observe
from marketloop.observe.metrics import scrape_registry

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    meta.router,
    crawls.router,
    extractions.router,
    audit.router,
    quality.router,
    marts.router,
    keywords.router,
    runs.router,
    briefs.router,
    evals.router,
    plan.router,
    key_routes.router,
    loops.router,
    hooks.router,
    metrics.router,
)


def create_app(settings: Settings) -> FastAPI:
    """The API for `settings`: app database migrated, pepper checked, limits ready."""
    for hook in settings.api.hooks.values():
        register_secrets(hook)
    engine = open_app_db(app_db_url(settings))
    api = settings.api
    context = ApiContext(
        settings=settings,
        engine=engine,
        auth=Authenticator(engine, keys.pepper(settings), api.key_cache_seconds),
        throttle=Throttle(api),
        usage=UsageRecorder(engine, api.usage_flush_seconds),
        proxies=trusted_networks(api.trusted_proxies),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await anyio.to_thread.run_sync(context.usage.flush)

    app = FastAPI(
        title="marketloop",
        version=__version__,
        description="The marketing loop over HTTP. Send `Authorization: Bearer KEY` "
        "(`marketloop keys create`); every error is RFC 9457 problem details.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
        responses=problems.COMMON,
    )
    app.state.api = context
    facts = DatabaseFacts(
        engine,
        settings.observe.llm_monthly_budget_usd,
        freshness_thresholds(settings.quality),
    )
    app.state.metrics = scrape_registry([facts])  # served by routes/metrics.py
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(authorise), Depends(json_only)])
    _check_scope_table(ROUTERS)
    problems.install(app)
    _problem_validation_schema(app)
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                            "Retry-After", "Location"],
        )  # fmt: skip
    app.add_middleware(Edge, max_body=api.max_body_bytes)
    from marketloop.web.mount import mount

    mount(app)  # the dashboard at / (web/), on the same context and scopes
    app.add_middleware(Observe)  # outermost: a request id and a count for every answer
    return app


def _check_scope_table(routers: tuple[APIRouter, ...]) -> None:
    """Every route has a scope in scopes.ROUTES, and every entry there a route."""
    served = {
        (method, route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    missing = sorted(served - set(ROUTES))
    stale = sorted(set(ROUTES) - served)
    if missing or stale:
        raise ConfigError(
            f"scopes.ROUTES is out of date: no scope for {missing}; no route for {stale}"
        )


def _problem_validation_schema(app: FastAPI) -> None:
    """Document every 4xx and 5xx, 422 included, as application/problem+json (FastAPI would
    describe 422 as its own HTTPValidationError in application/json)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        problem = {problems.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    if status[0] in "45":  # every failure is problem details, 422 included
                        response["content"] = problem
        schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
        schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
