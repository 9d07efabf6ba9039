"""Settings (admin): API keys (create — shown once —, revoke), users, and the state of each
integration (configured or not; secrets are never shown) with a "Test connection" button that
runs the probe `marketloop integrations check` runs (integrations/check.py)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from marketloop.api import auditlog
from marketloop.api.deps import client
from marketloop.api.errors import NotFound
from marketloop.api.keys import create_key, list_keys, revoke_key
from marketloop.api.scopes import DESCRIPTIONS, parse_scopes
from marketloop.errors import UsageError
from marketloop.integrations.check import PROBES, check
from marketloop.observe.logging import mask_secrets
from marketloop.web.deps import AdminDep
from marketloop.web.render import is_fragment, render
from marketloop.web.users import list_users

router = APIRouter()


def integrations(settings: Any) -> list[dict[str, str]]:
    """Each service `integrations check` knows, and whether it has its settings."""
    return [{"name": name, "state": "configured" if configured(settings) else "not configured"}
            for name, (configured, _) in PROBES.items()]  # fmt: skip


def _page(request: Request, who: Any, new_key: str | None = None, error: str | None = None,
          status: int = 200, checked: dict[str, str] | None = None) -> Response:  # fmt: skip
    engine = who.api.engine
    return render(request, "settings.html", {
        "who": who, "title": "Settings", "keys": list_keys(engine), "users": list_users(engine),
        "integrations": integrations(who.api.settings), "scopes": DESCRIPTIONS,
        "new_key": new_key, "error": error, "checked": checked,
    }, status=status)  # fmt: skip


@router.get("/settings")
def settings_page(request: Request, who: AdminDep) -> Response:
    return _page(request, who)


@router.post("/settings/keys")
async def create(request: Request, who: AdminDep, name: Annotated[str, Form(max_length=120)],
                 scopes: Annotated[list[str] | None, Form()] = None) -> Response:  # fmt: skip
    try:
        chosen = parse_scopes(",".join(scopes or []))
    except ValueError as exc:
        return _page(request, who, error=str(exc), status=422)
    actor = f"web:{who.user.name if who.user else ''}"

    def make() -> str:
        key, info = create_key(who.api.engine, who.api.auth.pepper, name, chosen, None)
        auditlog.record(who.api.engine, actor=actor, key_id=None, action="keys.create",
                        target=info.prefix, client=client(request, who.api),
                        detail={"name": info.name, "scopes": [str(s) for s in chosen]})  # fmt: skip
        return key

    try:
        key = await anyio.to_thread.run_sync(make)
    except UsageError as exc:
        return _page(request, who, error=exc.message, status=422)
    return _page(request, who, new_key=key, status=201)  # shown this once, never stored


@router.post("/settings/keys/{key_id}/revoke")
async def revoke(request: Request, who: AdminDep, key_id: int) -> Response:
    actor = f"web:{who.user.name if who.user else ''}"

    def drop() -> None:
        info = revoke_key(who.api.engine, key_id)
        who.api.auth.forget(key_id)
        auditlog.record(who.api.engine, actor=actor, key_id=None, action="keys.revoke",
                        target=info.prefix, client=client(request, who.api))  # fmt: skip

    await anyio.to_thread.run_sync(drop)
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/integrations/{name}/check")
async def test_connection(request: Request, who: AdminDep, name: str) -> Response:
    """Try one integration's connection; the result inline (htmx) or on the whole page."""
    if name not in PROBES:
        raise NotFound(f"no integration {name[:40]!r}", hint="the Settings page lists them")
    found = await anyio.to_thread.run_sync(lambda: check(who.api.settings, name))
    shown = {k: mask_secrets(v) for k, v in found.row().items()}  # secrets never echoed
    if is_fragment(request):
        return render(request, "integration_check.html", {"check": shown}, block="")
    return _page(request, who, checked=shown)
