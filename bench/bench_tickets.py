"""Ticket sync to the fake Jira under its rate limit (`make bench BENCH=tickets`), bounded.

2,000 tickets (check × site, synthetic, 1-40 URLs each) are synced to the fake Jira Cloud,
which allows RATE requests per second (token bucket, 429 + Retry-After past it) and whose
search lags LAG seconds behind writes. Then the same tickets are synced twice more, back to
back, while the search still lags.

Goals:
1. the first sync takes at most 1.10x the rate-limit floor: the requests it needs (project
   check, search pages, one bulk create per 50, one CSV attachment per issue), minus the
   bucket's burst, divided by the rate;
2. 0 duplicates: after three runs, exactly one issue per fingerprint.

    python -m bench tickets                            # 2,000 tickets at 50 requests/s
    BENCH_TICKETS_N=500 BENCH_TICKETS_RATE=100 python -m bench tickets
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

GOAL_FLOOR = 1.10
N = int(os.environ.get("BENCH_TICKETS_N", "2000"))
RATE = int(os.environ.get("BENCH_TICKETS_RATE", "50"))
LAG = 5.0
SITES = 50


def tickets(n: int) -> tuple[list[object], set[str], set[str]]:
    from marketloop.audit.model import Issue, Severity, Ticket
    from marketloop.integrations.jira_config import JiraSettings
    from marketloop.integrations.jira_issue import build

    settings = JiraSettings()
    made, sites = [], set()
    severities = list(Severity)
    for k in range(n):
        site, check = f"site{k % SITES}.example.com", f"check_{k // SITES}"
        severity = severities[k % 3]
        issues = [
            Issue(check, severity, f"https://{site}/p/{k}/{u}", "detail", None, None, 1.0 + u)
            for u in range(1 + k % 40)
        ]
        ticket = Ticket(check, severity, f"Problem {check}", "Fix it.", len(issues), 1.0, ())
        made.append(build(ticket, issues, site, k + 1, settings))
        sites.add(site)
    return made, {t.fingerprint for t in made}, sites  # type: ignore[attr-defined]


def sync_once(
    url: str, db_url: str, made: list[object], present: set[str], sites: set[str]
) -> dict[str, int]:
    from marketloop.integrations.jira import JiraClient
    from marketloop.integrations.jira_config import JiraSettings
    from marketloop.integrations.tickets_sync import JiraSink

    # pace a little under the server's rate and burst: a 429 costs a whole second (Retry-After)
    settings = JiraSettings(url=url, email="ops@example.com", token="jira-api-token",
                            rate=RATE * 0.99, burst=max(1, RATE // 10 - 2))  # type: ignore[arg-type]  # fmt: skip
    with JiraClient(settings) as client:
        client.project("SEO")
        sink = JiraSink(client, "SEO", db_url)
        plan = sink.plan(made, present, sites)  # type: ignore[arg-type]
        return sink.apply(plan)


def serve(port: int, ready: Any, stop: Any) -> None:
    """The fake Jira in its own process, so the client and the server do not share a GIL."""
    from marketloop.fakes.jira import JiraFake
    from marketloop.fakes.server import LocalServer

    burst = max(1, RATE // 10)
    fake = JiraFake({"SEO": "Website SEO"}, lag=LAG, rate=(burst, burst / RATE))
    with LocalServer(fake.app, port=port):
        ready.set()
        stop.wait(600)


def census(url: str) -> Counter[str]:
    """Fingerprint -> issues carrying it, read back through the search API once it caught up."""
    from marketloop.integrations.jira import JiraClient
    from marketloop.integrations.jira_config import JiraSettings
    from marketloop.integrations.jira_issue import LABEL, PROPERTY

    settings = JiraSettings(
        url=url, email="ops@example.com", token="jira-api-token", rate=RATE * 0.9
    )  # type: ignore[arg-type]
    with JiraClient(settings) as client:
        found = client.search(f"project = SEO AND labels = {LABEL}", ["labels"], [PROPERTY])
        return Counter(i["properties"][PROPERTY]["fingerprint"] for i in found)


def main() -> None:
    import multiprocessing

    from marketloop.appdb import open_app_db
    from marketloop.fakes.server import _free_port
    from marketloop.observe.metrics import REGISTRY

    def jira_statuses() -> Counter[str]:  # what the Jira client counted, by status
        return Counter(
            {
                sample.labels["status"]: int(sample.value)
                for metric in REGISTRY.collect()
                for sample in metric.samples
                if sample.name == "marketloop_integration_requests_total"
                and sample.labels["service"] == "jira"
            }
        )

    made, present, sites = tickets(N)
    burst = max(1, RATE // 10)
    port = _free_port("127.0.0.1")
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, ready, stop), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        ready.wait(60)
        with tempfile.TemporaryDirectory() as tmp:
            db_url = f"sqlite:///{Path(tmp) / 'app.db'}"
            open_app_db(db_url)  # migrations are not part of the sync
            import marketloop.integrations.tickets_sync  # noqa: F401 - nor are imports

            started = time.perf_counter()
            first = sync_once(url, db_url, made, present, sites)
            elapsed = time.perf_counter() - started
            statuses = jira_statuses()
            needed, throttled = sum(statuses.values()) - statuses["429"], statuses["429"]
            runs = [first] + [sync_once(url, db_url, made, present, sites) for _ in range(2)]
            time.sleep(LAG + 0.5)
            prints = census(url)
    finally:
        stop.set()
        server.join(10)
    floor = max(needed - burst, 1) / RATE
    duplicates = sum(c - 1 for c in prints.values())
    ratio = elapsed / floor
    print(f"tickets: {N} tickets to the fake Jira at {RATE} requests/s, search lag {LAG:g} s")
    print(f"  first sync: {elapsed:.2f} s for {needed} requests ({throttled} answered 429); "
          f"floor {floor:.2f} s; ratio {ratio:.3f} (goal <= {GOAL_FLOOR}) "
          f"{'OK' if ratio <= GOAL_FLOOR else 'MISSED'}")  # fmt: skip
    unique = duplicates == 0 and len(prints) == N
    created = [r["created"] for r in runs]
    print(f"  created per run: {created}; issues found {sum(prints.values())}; "
          f"duplicates {duplicates} (goal 0) {'OK' if unique else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
