"""Politeness per origin: at most `concurrency` requests in flight, an optional minimum
interval between request starts (`max_rps`), and a pause when the server asks for one (429/503
with Retry-After). robots.txt Crawl-delay is not applied (Google ignores it too); use --max-rps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from marketloop.crawl.urls import origin_of


class Gate:
    def __init__(self, concurrency: int, interval: float = 0.0) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.interval = interval
        self._next_start = 0.0
        self._paused_until = 0.0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self.slots:
            await self._turn()
            yield

    def pause(self, seconds: float) -> None:
        """Hold every request to this origin for `seconds` (a Retry-After)."""
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)

    async def _turn(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            start = max(now, self._next_start, self._paused_until)
            if start <= now:
                self._next_start = now + self.interval
                return
            await asyncio.sleep(start - now)


class Gates:
    """One `Gate` per origin, created on first use."""

    def __init__(self, concurrency: int, max_rps: float | None) -> None:
        self.concurrency = concurrency
        self.interval = 1.0 / max_rps if max_rps else 0.0
        self._gates: dict[str, Gate] = {}

    def gate(self, url: str) -> Gate:
        origin = origin_of(url)
        gate = self._gates.get(origin)
        if gate is None:
            gate = self._gates[origin] = Gate(self.concurrency, self.interval)
        return gate
