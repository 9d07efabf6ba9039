"""Every metric, declared once on our registry (STYLE.md habit 22); modules import the metric.

Counted where it happens, in the process where it happens (API, worker):
    marketloop_http_requests_total{route,method,status}   route = the route template
    marketloop_http_request_duration_seconds{route}
    marketloop_step_duration_seconds{loop,step}
    marketloop_gate_results_total{loop,gate,result}        gate = the gated step's name
    marketloop_integration_requests_total{service,status}  `record_integration_request`
    marketloop_llm_tokens_total{model,type}                type = prompt | completion
    marketloop_llm_cost_usd_total{model}
    marketloop_crawl_pages_total
Read from the app database when Prometheus scrapes (facts.py, on the API's /metrics only, so
they are not doubled per worker):
    marketloop_loop_runs_total{loop,status}, marketloop_loop_last_success_timestamp_seconds{loop},
    marketloop_loop_schedule_interval_seconds{loop},
    marketloop_loop_registered_timestamp_seconds{loop},
    marketloop_source_freshness_seconds{source},
    marketloop_source_freshness_threshold_seconds{source}   (from [quality.freshness])
    marketloop_queue_depth, marketloop_llm_monthly_budget_usd

With several API processes (uvicorn --workers N), set PROMETHEUS_MULTIPROC_DIR to an empty
directory before start: each process writes its counters there and /metrics adds them up.
Labels are low-cardinality: no URL, no run id, no user.

Both /metrics (the API's, the worker's) need an API key with the `metrics` scope unless
`[observe] metrics_public` (api/deps.authorise; observe/keycheck.py for the worker).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    make_wsgi_app,
)
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from wsgiref.types import StartResponse
    from wsgiref.types import WSGIApplication as WSGIApp

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "marketloop_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "marketloop_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
STEP_DURATION = Histogram(
    "marketloop_step_duration_seconds",
    "Time one attempt of a step ran, by loop and step",
    ["loop", "step"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200),
    registry=REGISTRY,
)
GATE_RESULTS = Counter(
    "marketloop_gate_results",
    "Gate verdicts, by loop, gate (the step's name) and result (pass | fail)",
    ["loop", "gate", "result"],
    registry=REGISTRY,
)
INTEGRATION_REQUESTS = Counter(
    "marketloop_integration_requests",
    "Requests to outside services, by service and HTTP status (error: no response)",
    ["service", "status"],
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "marketloop_llm_tokens",
    "LLM tokens paid for (cache hits excluded), by model and type (prompt | completion)",
    ["model", "type"],
    registry=REGISTRY,
)
LLM_COST = Counter(
    "marketloop_llm_cost_usd",
    "LLM spend in US dollars by model, from the cost ledger's prices",
    ["model"],
    registry=REGISTRY,
)
CRAWL_PAGES = Counter(
    "marketloop_crawl_pages", "HTML pages fetched and parsed by crawls", registry=REGISTRY
)

#: every metric family name a rule or dashboard may use (the deploy tests check against it)
NAMES = (
    "marketloop_http_requests_total",
    "marketloop_http_request_duration_seconds",
    "marketloop_step_duration_seconds",
    "marketloop_gate_results_total",
    "marketloop_integration_requests_total",
    "marketloop_llm_tokens_total",
    "marketloop_llm_cost_usd_total",
    "marketloop_crawl_pages_total",
    "marketloop_loop_runs_total",
    "marketloop_loop_last_success_timestamp_seconds",
    "marketloop_loop_schedule_interval_seconds",
    "marketloop_loop_registered_timestamp_seconds",
    "marketloop_source_freshness_seconds",
    "marketloop_source_freshness_threshold_seconds",
    "marketloop_queue_depth",
    "marketloop_llm_monthly_budget_usd",
)

#: integration services that are counted; any other name is counted as "other"
SERVICES = frozenset(
    {"ga4", "gsc", "hubspot", "notion", "jira", "slack", "pagerduty", "email", "webhook", "openai"}
    | {"other"}
)


def record_integration_request(service: str, status: int | str) -> None:
    """Count one request to an outside service; `status` is its HTTP status, or "error"."""
    name = service if service in SERVICES else "other"
    code = str(status) if isinstance(status, int) or str(status).isdigit() else "error"
    INTEGRATION_REQUESTS.labels(name, code).inc()


def httpx_hooks(service: str) -> dict[str, list[Callable[..., None]]]:
    """`event_hooks=` for an httpx.Client: every response counted under `service`."""

    def count(response: object) -> None:
        record_integration_request(service, int(getattr(response, "status_code", 0)))

    return {"response": [count]}


def record_llm_call(model: str, prompt_tokens: int, completion_tokens: int, cost: float) -> None:
    LLM_TOKENS.labels(model, "prompt").inc(prompt_tokens)
    LLM_TOKENS.labels(model, "completion").inc(completion_tokens)
    LLM_COST.labels(model).inc(cost)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape_registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """What a scrape sees: this process's metrics (every process's in multiprocess mode), plus
    `extra` collectors (the database facts)."""
    registry = CollectorRegistry()
    folder = multiprocess_dir()
    if folder:
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST


#: answers the Authorization header of a scrape with an HTTP status: 200 to serve it
Check = Callable[[str | None], int]


def serve_metrics(host: str, port: int, check: Check | None = None) -> int:
    """Serve /metrics of this process (a worker) on a thread; returns the port bound. With
    `check`, a scrape it does not answer 200 gets that status and no metrics."""
    app = make_wsgi_app(scrape_registry())
    if check is not None:
        app = _guarded(app, check)
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]  # "::" is IPv6
    server_class = type("MetricsServer", (ThreadingWSGIServer,), {"address_family": family})
    server: ThreadingWSGIServer = make_server(host, port, app, server_class, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return int(server.server_port)


def _guarded(app: WSGIApp, check: Check) -> WSGIApp:
    def guarded(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status = check(environ.get("HTTP_AUTHORIZATION"))
        if status == HTTPStatus.OK:
            return app(environ, start_response)
        headers = [("Content-Type", "text/plain; charset=utf-8"),
                   ("WWW-Authenticate", 'Bearer realm="marketloop"')]  # fmt: skip
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [b"/metrics needs an API key with the metrics scope\n"]

    return guarded


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged (one every few seconds)."""


class _Forward(Collector):
    """Our registry's metrics, seen from another registry (one exposition, several sources)."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[object]:  # type: ignore[override]
        return self.source.collect()
