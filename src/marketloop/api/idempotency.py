"""`Idempotency-Key` on POSTs, with Stripe's semantics (STYLE.md habit 19):

- the first request with a key runs; its response (status, body, headers) is stored for
  `[api] idempotency_hours` (24 h), and the same key with the same request gets that stored
  response back (`Idempotent-Replayed: true`) without running anything again;
- the same key with a different request (method, path, query or body) is refused with 422,
  and while the first request still runs a second one gets 409;
- nothing is stored when the request fails validation (FastAPI refuses it before the route
  runs) or the work raises: the client may fix the request and retry with the same key.

Keys are scoped to the API key that sent them. A route uses it in one line:

    return idem.run(lambda: start_run(body), status_code=202, headers=...)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketloop.api.errors import Conflict, KeyReused
from marketloop.api.tables import IdempotencyRecord
from marketloop.errors import ApiError

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY = 255


def request_hash(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests the same: method, path, query and the body (JSON compared by
    value, so key order and spacing do not matter)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    material = b"\n".join([method.encode(), path.encode(), query.encode(), canonical])
    return hashlib.sha256(material).hexdigest()


def check_key(value: str) -> str:
    if not 1 <= len(value) <= MAX_KEY or not value.isascii() or not value.isprintable():
        raise ApiError(f"{HEADER} must be 1 to {MAX_KEY} printable ASCII characters")
    return value


class Idempotency:
    def __init__(
        self, engine: Engine, key_id: int, key: str | None, fingerprint: str, hours: float
    ) -> None:
        self.engine = engine
        self.key_id = key_id
        self.key = check_key(key) if key is not None else None
        self.fingerprint = fingerprint
        self.ttl = timedelta(hours=hours)

    def run(
        self,
        work: Callable[[], Any],
        *,
        status_code: int = 200,
        headers: Callable[[Any], dict[str, str]] | None = None,
    ) -> JSONResponse:
        """Run `work` once per key; its result becomes the JSON body (stored when keyed)."""
        if self.key is None:
            result = work()
            return JSONResponse(jsonable_encoder(result), status_code, headers and headers(result))
        stored = self._claim(self.key)
        if stored is not None:
            return stored
        try:
            result = work()
            response = JSONResponse(
                jsonable_encoder(result), status_code, headers and headers(result)
            )
        except BaseException:
            self._release(self.key)
            raise
        self._save(self.key, response)
        return response

    def _claim(self, key: str) -> JSONResponse | None:
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - self.ttl)
            )
        try:
            with Session(self.engine) as session, session.begin():
                session.add(IdempotencyRecord(
                    key_id=self.key_id, idempotency_key=key, request_hash=self.fingerprint,
                    created_at=now,
                ))  # fmt: skip
            return None
        except IntegrityError:
            pass
        with Session(self.engine) as session:
            row = session.scalars(self._where(key)).first()
        if row is None:  # expired and removed in between: claim again
            return self._claim(key)
        if row.request_hash != self.fingerprint:
            raise KeyReused(
                f"{HEADER} {key!r} was used with a different request",
                hint="use a new key for a new request",
            )
        if row.status is None:
            raise Conflict(
                f"the request with {HEADER} {key!r} is still running",
                hint="retry in a moment to get its response",
            )
        headers = {**(row.headers or {}), REPLAYED: "true"}
        return JSONResponse(json.loads(row.body or "null"), row.status, headers)

    def _save(self, key: str, response: JSONResponse) -> None:
        kept = {k: v for k, v in response.headers.items() if k.lower() in {"location"}}
        with Session(self.engine) as session, session.begin():
            row = session.scalars(self._where(key)).one()
            row.status = response.status_code
            row.body = bytes(response.body).decode()
            row.headers = kept

    def _release(self, key: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.key_id == self.key_id,
                    IdempotencyRecord.idempotency_key == key,
                )
            )

    def _where(self, key: str) -> Any:
        return select(IdempotencyRecord).where(
            IdempotencyRecord.key_id == self.key_id, IdempotencyRecord.idempotency_key == key
        )
