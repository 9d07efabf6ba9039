"""`GET /metrics`: the Prometheus exposition of this process (every process's in multiprocess
mode) and the app database facts. It needs a key with the `metrics` scope, sent by Prometheus
as `authorization: {credentials_file: ...}` (deploy/prometheus/prometheus.yml); on a private
network `[observe] metrics_public = true` serves it without one (deps.authorise)."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response

from marketloop.observe.metrics import exposition

router = APIRouter(tags=["metrics"])

DESCRIPTION = "Prometheus text exposition format 0.0.4."


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                     "description": DESCRIPTION}},
)  # fmt: skip
async def metrics(request: Request) -> Response:
    body, media = await anyio.to_thread.run_sync(exposition, request.app.state.metrics)
    return Response(body, media_type=media)
