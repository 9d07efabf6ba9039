"""Scopes are data: each has a description, and one table says which scope every route needs.

`ROUTES` is the only place a route's scope is decided. `deps.authorise` looks the matched route
up here; `app.create_app` refuses to build an app with a route missing from the table (or a
table entry with no route), and the authorisation-matrix test walks every operation of the
OpenAPI schema with no key, a key without the scope and a key with it.
"""

from __future__ import annotations

from enum import StrEnum

PREFIX = "/api/v1"


class Scope(StrEnum):
    read = "read"
    write = "write"
    run = "run"
    admin = "admin"
    metrics = "metrics"


DESCRIPTIONS: dict[Scope, str] = {
    Scope.read: "read crawls, audits, data health, marts, keywords, briefs, evals, the plan, "
    "loops and runs",
    Scope.write: "record plan events, acknowledge escalations and approve or reject briefs",
    Scope.run: "start, cancel and approve loop runs and steps, publish approved briefs, and "
    "call inbound hooks",
    Scope.admin: "create, list and revoke API keys, and read the audit log",
    Scope.metrics: "scrape /metrics (the key Prometheus sends)",
}

#: routes anyone may call: liveness, readiness, the schema and its documentation
PUBLIC = "public"

ROUTES: dict[tuple[str, str], Scope | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): Scope.metrics,  # PUBLIC when [observe] metrics_public (deps.authorise)
    ("GET", f"{PREFIX}/scopes"): Scope.read,
    ("GET", f"{PREFIX}/crawls"): Scope.read,
    ("GET", f"{PREFIX}/crawls/{{crawl_id}}"): Scope.read,
    ("GET", f"{PREFIX}/crawls/{{crawl_id}}/pages"): Scope.read,
    ("GET", f"{PREFIX}/crawls/{{crawl_id}}/pages.csv"): Scope.read,
    ("GET", f"{PREFIX}/crawls/{{crawl_id}}/extractions"): Scope.read,
    ("GET", f"{PREFIX}/crawls/{{crawl_id}}/issues"): Scope.read,
    ("GET", f"{PREFIX}/crawls/{{crawl_id}}/tickets"): Scope.read,
    ("GET", f"{PREFIX}/quality/report"): Scope.read,
    ("GET", f"{PREFIX}/marts/{{mart}}"): Scope.read,
    ("GET", f"{PREFIX}/keywords/clusters"): Scope.read,
    ("GET", f"{PREFIX}/keywords/gaps"): Scope.read,
    ("GET", f"{PREFIX}/briefs"): Scope.read,
    ("GET", f"{PREFIX}/briefs/{{slug}}"): Scope.read,
    ("POST", f"{PREFIX}/briefs/{{slug}}/review"): Scope.write,
    ("GET", f"{PREFIX}/evals/runs"): Scope.read,
    ("GET", f"{PREFIX}/evals/runs/{{run_id}}"): Scope.read,
    ("GET", f"{PREFIX}/evals/compare"): Scope.read,
    ("GET", f"{PREFIX}/plan/status"): Scope.read,
    ("GET", f"{PREFIX}/plan/escalations"): Scope.read,
    ("GET", f"{PREFIX}/plan/memo"): Scope.read,
    ("POST", f"{PREFIX}/plan/events"): Scope.write,
    ("POST", f"{PREFIX}/plan/escalations/{{escalation_id}}/ack"): Scope.write,
    ("GET", f"{PREFIX}/keys"): Scope.admin,
    ("POST", f"{PREFIX}/keys"): Scope.admin,
    ("DELETE", f"{PREFIX}/keys/{{key_id}}"): Scope.admin,
    ("GET", f"{PREFIX}/audit-log"): Scope.admin,
    ("GET", f"{PREFIX}/loops"): Scope.read,
    ("GET", f"{PREFIX}/loops/{{name}}"): Scope.read,
    ("POST", f"{PREFIX}/runs"): Scope.run,
    ("GET", f"{PREFIX}/runs"): Scope.read,
    ("GET", f"{PREFIX}/runs/{{run_id}}"): Scope.read,
    ("POST", f"{PREFIX}/runs/{{run_id}}/cancel"): Scope.run,
    ("POST", f"{PREFIX}/runs/{{run_id}}/steps/{{step}}/approve"): Scope.run,
    ("POST", f"{PREFIX}/briefs/publish"): Scope.run,
    ("POST", f"{PREFIX}/hooks/{{name}}"): Scope.run,
}

#: routes that also take a Standard Webhooks signature (with the hook's secret) for a key
SIGNED: frozenset[tuple[str, str]] = frozenset({("POST", f"{PREFIX}/hooks/{{name}}")})


def parse_scopes(text: str) -> list[Scope]:
    """`read,run` -> [Scope.read, Scope.run]; an unknown name is a ValueError naming the known."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError(f"no scope given; choose from {', '.join(Scope)}")
    unknown = [n for n in names if n not in Scope.__members__]
    if unknown:
        raise ValueError(f"unknown scope {', '.join(unknown)}; choose from {', '.join(Scope)}")
    return sorted({Scope(n) for n in names}, key=list(Scope).index)
