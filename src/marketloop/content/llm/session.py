"""One LLM session per command run: the ledger, the workspace's response cache and the client,
built from the settings, and the ledger saved to the app database at the end.

    async with LlmSession(settings, run_id) as session:
        await ask_structured(session.client, request, Model)
    session.ledger.totals()
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy import Engine

from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url
from marketloop.content.llm.cache import ResponseCache
from marketloop.content.llm.client import LlmClient
from marketloop.content.llm.ledger import Ledger
from marketloop.workspace import Workspace

CACHE_FILE = "llm-cache.sqlite"


def new_run_id(prefix: str) -> str:
    """`gen-20250301T101500Z-3fa2`: sortable by time, unique across concurrent runs."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{prefix}-{stamp}-{secrets.token_hex(2)}"


class LlmSession:
    def __init__(self, settings: Settings, run_id: str) -> None:
        self.settings = settings
        self.run_id = run_id
        self.ledger = Ledger(settings.llm, run_id)
        root = Workspace(settings.workspace).ensure().root
        self.cache = ResponseCache(root / CACHE_FILE) if settings.llm.cache else None
        self.client = LlmClient(settings.llm, self.ledger, self.cache)

        self._engine: asyncio.Task[Engine] | None = None

    def persist(self) -> int:
        """Save the ledger's new records in the app database."""
        return self.ledger.persist(open_app_db(app_db_url(self.settings)))

    def checkpoint(self, every: int = 25) -> None:
        """Save the ledger once `every` records are waiting, so a kill loses few of them."""
        ready = self._engine is not None and self._engine.done()
        if ready and self.ledger.unsaved >= every and self._engine is not None:
            self.ledger.persist(self._engine.result())

    async def __aenter__(self) -> LlmSession:
        # open (and migrate) the app database in a thread while the first calls are out
        url = app_db_url(self.settings)
        self._engine = asyncio.create_task(asyncio.to_thread(open_app_db, url))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.client.aclose()
        if self.cache is not None:
            self.cache.close()
        engine = await self._engine if self._engine else open_app_db(app_db_url(self.settings))
        self.ledger.persist(engine)
