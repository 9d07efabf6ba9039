"""Ingest benchmark: HubSpot contacts and Search Console rows from the fakes into DuckDB.

    throughput   rate limits off: rows per second end to end (goal ≥ 20,000) at two sizes,
                 with the peak memory of the ingesting process (goal: flat as rows grow)
    incremental  1% of the contacts changed and one more day of search data: requests made
    rate limits  HubSpot Professional's 190 requests per 10 s: elapsed vs the floor the limit
                 imposes (goal ≤ 1.10 × floor); Search Console's 1,200 queries per minute

The fakes run in their own process and every measured run in a fresh one, so timings and peak
memory (ru_maxrss) belong to the ingest alone. Times exclude interpreter start-up and imports.
Run: `python -m bench ingest` (BENCH_INGEST_SCALE=0.1 for a quick look).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import tempfile
import time
from datetime import date, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

GOAL_ROWS_PER_S = 20_000
HUBSPOT_LIMIT = (190, 10.0)  # Professional: 190 requests per 10 s per private app
GSC_LIMIT = (1_200, 60.0)  # Search Console: 1,200 queries per minute per site
TODAY = date(2024, 6, 30)
SITE = "https://www.example.com/"
TOKEN = "pat-bench-0000"
SCALE = float(os.environ.get("BENCH_INGEST_SCALE", "1"))


# --- the fakes, in their own process -----------------------------------------------------------


def serve_fakes(contacts: int, pages: int, conn: Connection) -> None:
    """Serve the token endpoint, Search Console and HubSpot until told to stop."""
    from marketloop.fakes.google_token import GoogleTokens
    from marketloop.fakes.gsc import GscFake
    from marketloop.fakes.hubspot import HubspotFake
    from marketloop.fakes.hubspot_data import HubspotData
    from marketloop.fakes.server import LocalServer

    tokens = GoogleTokens()
    tokens.add_token("ya29.bench")
    urls = [f"{SITE}blog/post-{i}" for i in range(pages)]
    gsc = GscFake(tokens, {SITE: urls}, today=TODAY, queries_per_page=3, countries=4)
    data = HubspotData(urls=urls, counts={"contacts": contacts, "companies": 1_000, "deals": 0})
    hubspot = HubspotFake({TOKEN}, data)
    with LocalServer(gsc.app()) as g, LocalServer(hubspot.app()) as h:
        conn.send({"gsc": g.url, "hubspot": h.url, "rows_per_day": gsc.rows_per_day})
        while True:
            command, arg = conn.recv()
            if command == "stop":
                return
            if command == "limits":  # (hubspot, gsc) as (requests, seconds) or None
                hubspot.rate_limit, gsc.rate_limit = arg
                hubspot._bucket, gsc._bucket = None, None
            elif command == "change":  # modify `arg` contacts, and one more day of data
                for index in range(0, contacts, max(1, contacts // arg)):
                    data.modify("contacts", index, lifecyclestage="customer")
                gsc.today += timedelta(days=1)
            conn.send(
                {"gsc": gsc.requests, "hubspot": hubspot.requests, "throttled": hubspot.throttled}
            )


class Fakes:
    def __init__(self, contacts: int, pages: int) -> None:
        self._conn, child = mp.Pipe()
        self._process = mp.get_context("spawn").Process(
            target=serve_fakes, args=(contacts, pages, child)
        )
        self._process.start()
        self.info: dict[str, Any] = self._conn.recv()

    def tell(self, command: str, arg: Any = None) -> dict[str, int]:
        self._conn.send((command, arg))
        answer: dict[str, int] = self._conn.recv()
        return answer

    def close(self) -> None:
        self._conn.send(("stop", None))
        self._process.join(timeout=30)


# --- one measured ingest, in a fresh process -------------------------------------------------


def ingest_once(job: str, workspace: str, urls: dict[str, Any], days: int, out: Connection) -> None:
    from marketloop.config import load_settings
    from marketloop.ingest.jobs import ingest_gsc, ingest_hubspot

    settings = load_settings(
        overrides={
            "workspace": workspace,
            "google": {"access_token": "ya29.bench"},
            "gsc": {"base_url": urls["gsc"], "initial_days": days + 3, "retries": 8},
            "hubspot": {
                "base_url": urls["hubspot"],
                "token": TOKEN,
                "objects": ["contacts"],
                "retries": 8,
            },
        }
    )
    started = time.perf_counter()
    result = ingest_gsc(settings, SITE, today=TODAY) if job == "gsc" else ingest_hubspot(settings)
    elapsed = time.perf_counter() - started
    out.send(
        {
            "rows": sum(result.loaded.values()),
            "fetched": sum(result.stats.rows.values()),
            "seconds": elapsed,
            "requests": result.stats.requests,
            "retries": result.stats.retries,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def measure(job: str, workspace: Path, fakes: Fakes, days: int) -> dict[str, Any]:
    receiver, sender = mp.Pipe(duplex=False)
    process = mp.get_context("spawn").Process(
        target=ingest_once, args=(job, str(workspace), fakes.info, days, sender)
    )
    process.start()
    result: dict[str, Any] = receiver.recv()
    process.join()
    return result


# --- the scenarios -------------------------------------------------------------------------


def throughput(contacts: int, days: int, pages: int, root: Path) -> tuple[dict[str, Any], ...]:
    fakes = Fakes(contacts, pages)
    try:
        workspace = root / f"ws-{contacts}"
        hubspot = measure("hubspot", workspace, fakes, days)
        gsc = measure("gsc", workspace, fakes, days)
        fakes.tell("change", max(1, contacts // 100))
        again_hubspot = measure("hubspot", workspace, fakes, days)
        again_gsc = measure("gsc", workspace, fakes, days)
    finally:
        fakes.close()
    return hubspot, gsc, again_hubspot, again_gsc


def rate_limited(contacts: int, days: int, pages: int, root: Path) -> tuple[dict[str, Any], ...]:
    fakes = Fakes(contacts, pages)
    try:
        fakes.tell("limits", (HUBSPOT_LIMIT, GSC_LIMIT))
        workspace = root / "ws-limited"
        hubspot = measure("hubspot", workspace, fakes, days)
        gsc = measure("gsc", workspace, fakes, days)
        hubspot["throttled"] = fakes.tell("stats")["throttled"]
    finally:
        fakes.close()
    return hubspot, gsc


def floor_seconds(requests: int, limit: tuple[int, float]) -> float:
    """The least time `requests` take under a token bucket of `limit` (burst, then refill)."""
    burst, period = limit
    return max(0, requests - burst) * period / burst


def _line(label: str, run: dict[str, Any]) -> str:
    rate = run["rows"] / run["seconds"]
    return (
        f"  {label:<34} {run['rows']:>10,} rows {run['seconds']:7.1f} s {rate:>9,.0f} rows/s "
        f"peak {run['peak_mb']:6.0f} MB  {run['requests']:>5} requests"
    )


def main() -> None:
    full = (int(100_000 * SCALE), max(1, int(28 * SCALE)), 1_000)
    small = (full[0] // 4, max(1, full[1] // 4), 1_000)
    print(f"ingest bench: HubSpot contacts + Search Console rows → DuckDB (scale {SCALE:g})")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        root = Path(tmp)
        results = {size: throughput(*size, root) for size in (small, full)}
        limited = rate_limited(*full, root)
    for (contacts, days, _), (hubspot, gsc, again_h, again_g) in results.items():
        print(f"\nrate limits off: {contacts:,} contacts, {days} days of search data")
        print(_line("hubspot (list)", hubspot))
        print(_line("search console", gsc))
        total_rows = hubspot["rows"] + gsc["rows"]
        total_s = hubspot["seconds"] + gsc["seconds"]
        rate = total_rows / total_s
        print(
            f"  end to end: {total_rows:,} rows in {total_s:.1f} s = {rate:,.0f} rows/s "
            f"(goal {GOAL_ROWS_PER_S:,}: ratio {rate / GOAL_ROWS_PER_S:.2f})"
        )
        print("  incremental re-run (1% of contacts changed, one more day):")
        print(_line("hubspot (search)", again_h) + f" (full run: {hubspot['requests']})")
        print(_line("search console", again_g) + f" (full run: {gsc['requests']})")
    hubspot_small, gsc_small = results[small][:2]
    hubspot_full, gsc_full = results[full][:2]
    print("\npeak memory vs rows (goal: does not grow with the row count)")
    for label, a, b in (
        ("hubspot", hubspot_small, hubspot_full),
        ("search console", gsc_small, gsc_full),
    ):
        growth = b["peak_mb"] / a["peak_mb"]
        print(
            f"  {label:<15} {a['rows']:>9,} rows {a['peak_mb']:5.0f} MB → {b['rows']:>9,} rows "
            f"{b['peak_mb']:5.0f} MB: ×{b['rows'] / a['rows']:.0f} rows, ×{growth:.2f} memory"
        )
    hubspot, gsc = limited
    print(
        f"\nrate limits on: HubSpot {HUBSPOT_LIMIT[0]} requests / {HUBSPOT_LIMIT[1]:g} s, "
        f"Search Console {GSC_LIMIT[0]:,} / {GSC_LIMIT[1]:g} s"
    )
    for label, run, limit in (
        ("hubspot", hubspot, HUBSPOT_LIMIT),
        ("search console", gsc, GSC_LIMIT),
    ):
        floor = floor_seconds(run["requests"], limit)
        verdict = (
            f"ratio {run['seconds'] / floor:.3f} (goal ≤ 1.10)" if floor else "limit not binding"
        )
        print(
            f"  {label:<15} {run['requests']:>5} requests, floor {floor:6.1f} s, "
            f"took {run['seconds']:6.1f} s: {verdict}"
        )
    throttled, retries = hubspot.get("throttled", 0), hubspot["retries"]
    print(f"  hubspot answered 429 {throttled} times; client retries {retries}")
