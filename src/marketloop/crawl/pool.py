"""Parser processes: the pure parse step (`crawl/parse.py`) spread over the machine's cores.

Each worker is a small `python -m marketloop.crawl.worker` process fed over a pipe, so it
imports only the parser, not the CLI or the rest of marketloop. Jobs are pipelined (a few per
worker in flight) so parsing overlaps fetching. A worker that dies or hangs on a pathological
document costs that one document (recorded as a `parse_error`); it is replaced and the jobs
queued behind it are sent again.

`workers=0` parses in the calling process (tiny crawls, debugging).
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
from collections import deque
from pathlib import Path

from marketloop.crawl.records import FRAME, HtmlJob, HtmlResult, Job, Result, SitemapDoc, SitemapJob

PER_WORKER = 16
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds `marketloop/`


def failure(job: Job, message: str) -> Result:
    if isinstance(job, SitemapJob):
        return SitemapDoc("invalid", [], [], [], 0, len(job.body), message)
    return HtmlResult("utf-8", None, message)


class _Worker:
    def __init__(self, pool: ParserPool) -> None:
        self.pool = pool
        self.pending: deque[tuple[Job, asyncio.Future[Result]]] = deque()
        self.proc: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task[None] | None = None
        self.outbox: list[bytes] = []

    async def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")])
        )
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "marketloop.crawl.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, env=env,
        )  # fmt: skip
        self.reader = asyncio.create_task(self._read())

    def submit(self, job: Job, future: asyncio.Future[Result]) -> None:
        """Queue `job`; jobs submitted in one turn of the event loop go out in one write."""
        self.pending.append((job, future))
        frame = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        if not self.outbox:
            asyncio.get_running_loop().call_soon(self._send)
        self.outbox.append(FRAME.pack(len(frame)) + frame)

    def _send(self) -> None:
        data, self.outbox = b"".join(self.outbox), []
        if self.proc is None or self.proc.stdin is None or self.proc.stdin.is_closing():
            return  # the reader notices the dead process and resends
        self.proc.stdin.write(data)

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout
        try:
            while True:
                (length,) = FRAME.unpack(await stdout.readexactly(FRAME.size))
                result = pickle.loads(await stdout.readexactly(length))  # noqa: S301 - our child
                _job, future = self.pending.popleft()
                if not future.done():
                    future.set_result(result)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.pool.replace(self)

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()

    async def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except TimeoutError:
            self.kill()
            await self.proc.wait()
        if self.reader is not None:
            self.reader.cancel()


class ParserPool:
    def __init__(self, workers: int, timeout: float = 60.0) -> None:
        self.size = workers
        self.timeout = timeout
        self.workers: list[_Worker] = []
        self.slots = asyncio.Semaphore(max(1, workers) * PER_WORKER)
        self.closing = False

    async def start(self) -> ParserPool:
        for _ in range(self.size):
            worker = _Worker(self)
            await worker.start()
            self.workers.append(worker)
        return self

    async def parse_page(self, job: HtmlJob) -> HtmlResult:
        result = await self.run(job)
        assert isinstance(result, HtmlResult)
        return result

    async def parse_sitemap(self, job: SitemapJob) -> SitemapDoc:
        result = await self.run(job)
        assert isinstance(result, SitemapDoc)
        return result

    async def run(self, job: Job) -> Result:
        if not self.workers:
            from marketloop.crawl.parse import handle  # inline mode loads the parser here

            return handle(job)
        async with self.slots:
            future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
            worker = min(self.workers, key=lambda w: len(w.pending))
            worker.submit(job, future)
            done, _ = await asyncio.wait({future}, timeout=self.timeout)
            if not done:
                worker.kill()  # stuck on a document: the reader replaces it
            return await future

    async def replace(self, dead: _Worker) -> None:
        """A worker died: fail the document it was on, resend the rest to a fresh worker."""
        if dead in self.workers:
            self.workers.remove(dead)
        if dead.pending:
            job, future = dead.pending.popleft()
            if not future.done():
                future.set_result(failure(job, "the parser process died on this document"))
        if self.closing:
            for job, future in dead.pending:
                if not future.done():
                    future.set_result(failure(job, "the crawl stopped before parsing"))
            return
        fresh = _Worker(self)
        await fresh.start()
        self.workers.append(fresh)
        for job, future in dead.pending:
            fresh.submit(job, future)

    async def close(self) -> None:
        self.closing = True
        await asyncio.gather(*(w.close() for w in list(self.workers)))
        self.workers.clear()


__all__ = ["HtmlJob", "ParserPool", "SitemapJob"]
