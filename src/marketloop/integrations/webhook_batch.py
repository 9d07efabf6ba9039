"""Many webhook deliveries at once: `webhooks.concurrency` in flight, recorded in batches.

Each delivery still gets its own retries; records are written from the calling thread, at most
`FLUSH_ROWS` rows or `FLUSH_SECONDS` apart, so a batch of hundreds costs a few commits instead
of one per delivery. If the run is interrupted (an error, Ctrl-C), queued deliveries are
cancelled, the ones in flight finish, and everything sent is recorded before the error goes up.
Only a hard kill can leave a sent delivery unrecorded; the next run then sends it again, which
is what the `Idempotency-Key` header is for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from marketloop.integrations import records
from marketloop.integrations.redact import redact_url, url_key
from marketloop.integrations.webhooks import Delivery, Event, WebhookSender

FLUSH_ROWS = 50
FLUSH_SECONDS = 0.25


def send_many(
    sender: WebhookSender,
    events: Iterable[Event],
    urls: Sequence[str] | None = None,
    *,
    force: bool = False,
    on_delivery: Callable[[Delivery], None] | None = None,
) -> list[Delivery]:
    """Every event to every URL; one Delivery per pair, in input order."""
    jobs = [(event, url) for event in events for url in sender.urls(urls)]
    done = set() if force else records.delivered_pairs(sender.db_url, [e.id for e, _ in jobs])
    results: list[Delivery | None] = [None] * len(jobs)
    for index, (event, url) in enumerate(jobs):
        if (event.id, url_key(url)) in done:
            results[index] = Delivery(event.id, event.type, redact_url(url), True, skipped=True)
    workers = sender.hooks.concurrency
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
        futures = {
            pool.submit(sender.post, event, url): index
            for index, (event, url) in enumerate(jobs)
            if results[index] is None
        }
        try:
            _collect(sender, futures, jobs, results, on_delivery)
        except BaseException:  # Ctrl-C included: send nothing more, record what was sent
            pool.shutdown(wait=True, cancel_futures=True)
            _record_finished(sender, futures, jobs, results)
            raise
    for delivery in results:
        if delivery is not None and delivery.skipped and on_delivery is not None:
            on_delivery(delivery)
    return [d for d in results if d is not None]


def _collect(
    sender: WebhookSender,
    futures: dict[Future[Delivery], int],
    jobs: list[tuple[Event, str]],
    results: list[Delivery | None],
    on_delivery: Callable[[Delivery], None] | None,
) -> None:
    pending: list[tuple[Delivery, str]] = []
    flushed = time.monotonic()
    try:
        for future in as_completed(futures):
            index = futures[future]
            delivery = results[index] = future.result()
            pending.append((delivery, url_key(jobs[index][1])))
            if on_delivery is not None:
                on_delivery(delivery)
            if len(pending) >= FLUSH_ROWS or time.monotonic() - flushed > FLUSH_SECONDS:
                sender.record(pending)
                pending, flushed = [], time.monotonic()
    finally:
        sender.record(pending)  # what completed is recorded, even on the way out of an error


def _record_finished(
    sender: WebhookSender,
    futures: dict[Future[Delivery], int],
    jobs: list[tuple[Event, str]],
    results: list[Delivery | None],
) -> None:
    finished = []
    for future, index in futures.items():
        unrecorded = results[index] is None and future.done() and not future.cancelled()
        if unrecorded and future.exception() is None:
            results[index] = future.result()
            finished.append((future.result(), url_key(jobs[index][1])))
    sender.record(finished)
