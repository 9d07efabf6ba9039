"""The dashboard's routers, one per page group, listed once."""

from __future__ import annotations

from fastapi import APIRouter

from marketloop.web.routes import auth, briefs, overview, plan, runs, site

ROUTERS: tuple[APIRouter, ...] = (auth.router, overview.router, runs.router, site.router, briefs.router, plan.router)
