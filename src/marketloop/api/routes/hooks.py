"""Inbound hooks for Zapier, n8n and Make: `POST /api/v1/hooks/{name}` starts the loop (or the
step) `[api.hooks.NAME]` names, as a run.

Two ways in: a Standard Webhooks signature with the hook's secret (`deps.authorise` verifies it,
five-minute replay window; a message re-sent with the same `webhook-id` gets the first response
back and starts nothing), or an API key with the `run` scope (then `Idempotency-Key` as on every
POST). The body is the sender's and is not read beyond its signature.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from marketloop.api import auditlog
from marketloop.api.auth import Principal
from marketloop.api.config import HookSettings
from marketloop.api.deps import ClientDep, ContextDep, EngineDep, SettingsDep, authorise
from marketloop.api.errors import NotFound
from marketloop.api.idempotency import HEADER, Idempotency, request_hash
from marketloop.api.routes.runs import STARTED, start
from marketloop.integrations.signing import ID_HEADER
from marketloop.runner.catalog import find_loop
from marketloop.runner.model import NAME
from marketloop.runner.service import RunView

router = APIRouter(prefix="/api/v1", tags=["hooks"])

HookName = Annotated[
    str, Path(pattern=NAME, max_length=100, description="the hook's name under [api.hooks]")
]
#: the key id idempotency records of signed (keyless) hook calls are filed under
SIGNED_KEY_ID = 0
Caller = Annotated[Principal | None, Depends(authorise)]  # None: a verified signature


async def hook_idempotency(
    name: HookName, request: Request, ctx: ContextDep, caller: Caller
) -> Idempotency:
    """Signed calls are deduplicated by their `webhook-id`; keyed ones by `Idempotency-Key`."""
    body = await request.body()
    fingerprint = request_hash(request.method, request.url.path, request.url.query, body)
    key: str | None = request.headers.get(HEADER)
    key_id = caller.key_id if caller else SIGNED_KEY_ID
    if caller is None:
        key = f"hook:{name}:{request.headers.get(ID_HEADER, '')}"[:255]
    return Idempotency(ctx.engine, key_id, key, fingerprint, ctx.settings.api.idempotency_hours)


def _hook(settings: SettingsDep, name: str) -> HookSettings:
    hook = settings.api.hooks.get(name)
    if hook is None:
        raise NotFound(f"no inbound hook {name!r}", hint="configure it under [api.hooks.NAME]")
    if not hook.target:  # configured for its signature only: it starts nothing
        raise NotFound(f"hook {name} is mapped to no loop", hint=f"set [api.hooks.{name}] target")
    return hook


@router.post("/hooks/{name}", response_model=RunView, status_code=202, responses=STARTED)
def receive_hook(
    name: HookName, settings: SettingsDep, engine: EngineDep, caller: Caller,
    idem: Annotated[Idempotency, Depends(hook_idempotency)], address: ClientDep,
) -> JSONResponse:  # fmt: skip
    """Start the run the hook is mapped to (202, the run, its `Location`)."""
    hook = _hook(settings, name)

    def audit(run: RunView) -> None:
        auditlog.record(
            engine, actor=caller.name if caller else f"hook:{name}",
            key_id=caller.key_id if caller else None, action=f"hooks.{name}",
            target=run.run_id, client=address, detail={"loop": run.loop, "step": hook.step},
        )  # fmt: skip

    return start(
        idem, settings, lambda: find_loop(settings, hook.target), hook.step, trigger="hook",
        audit=audit,
    )  # fmt: skip
