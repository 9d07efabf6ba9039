"""The dashboard's routers, one per page group, listed once."""

from __future__ import annotations

from fastapi import APIRouter

from marketloop.web.routes import auth, briefs, overview, plan, reports, runs, settings, site

ROUTERS: tuple[APIRouter, ...] = (
    auth.router, overview.router, runs.router, site.router, briefs.router, plan.router,
    reports.router, settings.router,
)  # fmt: skip
