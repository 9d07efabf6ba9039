"""Who is calling: a Bearer key -> a `Principal` with scopes, decided once per request.

Verified keys are trusted for `[api] key_cache_seconds` (5 s by default) before the app
database is read again, so a key revoked by another process stops working within that time
(one revoked through this server's API stops at once). Unknown keys are not cached: each one
costs a lookup, and requests without a valid key are rate limited per client address.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio.to_thread
from sqlalchemy import Engine

from marketloop.api.errors import Unauthenticated
from marketloop.api.keys import KeyInfo, digest, find_key
from marketloop.api.scopes import Scope


@dataclass(frozen=True)
class Principal:
    key_id: int
    name: str
    prefix: str
    scopes: frozenset[Scope]


class Authenticator:
    def __init__(self, engine: Engine, pepper: bytes, cache_seconds: float) -> None:
        self.engine = engine
        self.pepper = pepper
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, KeyInfo]] = {}

    async def principal(self, authorization: str | None) -> Principal:
        """The caller of a request with this `Authorization` header, or Unauthenticated."""
        if not authorization:
            raise Unauthenticated("this route needs an API key", error="")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated("the Authorization header's scheme must be Bearer")
        info = await self._lookup(key.strip())
        now = datetime.now(UTC)
        if info is None:
            raise Unauthenticated("unknown API key")
        if info.revoked_at is not None:
            raise Unauthenticated(f"API key {info.prefix} was revoked")
        if info.expires_at is not None and info.expires_at <= now:
            raise Unauthenticated(
                f"API key {info.prefix} expired at {info.expires_at:%Y-%m-%d %H:%M} UTC"
            )
        return Principal(info.id, info.name, info.prefix, frozenset(info.scopes))

    def forget(self, key_id: int) -> None:
        """Drop a key from the cache (it was just revoked here)."""
        self._cache = {d: v for d, v in self._cache.items() if v[1].id != key_id}

    async def _lookup(self, key: str) -> KeyInfo | None:
        hashed = digest(key, self.pepper)
        cached = self._cache.get(hashed)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        info = await anyio.to_thread.run_sync(find_key, self.engine, key, self.pepper)
        if info is not None and self.cache_seconds > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[hashed] = (time.monotonic(), info)
        return info
