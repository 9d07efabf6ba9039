"""A fake of the GA4 Data API v1beta `properties/{id}:runReport`, with deterministic data for a
site's pages.

Faithful where a client can tell: request validation with Google error bodies, unknown or
retired field names rejected by name, positional `dimensionValues`/`metricValues` holding
strings, `metricHeaders[].type`, `date` as YYYYMMDD, limit/offset paging with `rowCount`
(omitted, like `rows`, when zero), `metadata` (thresholding, `(other)` row data loss) and
`propertyQuota` when asked for, token quotas per day and per hour charged on every report and
answered with 429 RESOURCE_EXHAUSTED ("Exhausted property tokens per day ...") once spent,
Google's 400 INVALID_ARGUMENT for malformed requests. Knobs: `faults`, `thresholding`,
`other_row`, `revision` (bumps the numbers of the last days, like GA4's late processing),
`retired` field names, `tokens_per_day`/`tokens_per_hour` (what is left).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from marketloop.fakes.common import (
    Faults,
    check_fields,
    google_error,
    google_payload,
    int_field,
    json_errors,
    json_response,
    malformed_json,
    method_not_found,
    named_items,
    unit,
)
from marketloop.fakes.google_token import GoogleTokens

SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
MAX_LIMIT = 250_000
THROTTLED = "Resource has been exhausted (e.g. check quota)."
#: runReport body fields: served, and documented but refused (named) by this fake
IMPLEMENTED = {"dimensions", "metrics", "dateRanges", "limit", "offset", "keepEmptyRows",
               "returnPropertyQuota", "property"}  # fmt: skip
DOCUMENTED = {"dimensionFilter", "metricFilter", "orderBys", "currencyCode", "cohortSpec",
              "metricAggregations", "comparisons"}  # fmt: skip
CHANNELS = (
    ("Organic Search", "google", "organic"),
    ("Direct", "(direct)", "(none)"),
    ("Referral", "news.ycombinator.com", "referral"),
    ("Paid Search", "google", "cpc"),
    ("Email", "newsletter", "email"),
    ("Organic Social", "linkedin.com", "social"),
)
METRICS = {  # name → (type, typical size)
    "sessions": ("TYPE_INTEGER", 400),
    "activeUsers": ("TYPE_INTEGER", 320),
    "totalUsers": ("TYPE_INTEGER", 350),
    "newUsers": ("TYPE_INTEGER", 200),
    "screenPageViews": ("TYPE_INTEGER", 900),
    "eventCount": ("TYPE_INTEGER", 2500),
    "keyEvents": ("TYPE_FLOAT", 12),
    "engagementRate": ("TYPE_FLOAT", 1),
    "bounceRate": ("TYPE_FLOAT", 1),
    "averageSessionDuration": ("TYPE_SECONDS", 180),
    "totalRevenue": ("TYPE_CURRENCY", 1500),
}
DIMENSION_FAMILIES = {  # dimensions whose values come together
    "page": ("hostName", "pagePath", "landingPage"),
    "channel": ("sessionDefaultChannelGroup", "sessionSource", "sessionMedium"),
    "country": ("country",),
    "device": ("deviceCategory",),
}


@dataclass
class Ga4Fake:
    tokens: GoogleTokens
    properties: dict[str, tuple[str, Sequence[str]]]  # property id → (host name, page paths)
    today: date = field(default_factory=date.today)
    faults: Faults = field(default_factory=Faults)
    thresholding: bool = False
    other_row: bool = False
    revision: int = 0
    retired: dict[str, str] = field(default_factory=lambda: {"conversions": "keyEvents"})
    tokens_per_day: int = 200_000  # remaining; a request needs at least one
    tokens_per_hour: int = 40_000
    requests: int = 0

    def app(self) -> web.Application:
        app = web.Application(middlewares=[json_errors(google_error)])
        app.router.add_post("/v1beta/properties/{call}", self._run_report)
        method_not_found(app)
        return app

    async def _run_report(self, request: web.Request) -> web.Response:
        self.requests += 1
        property_id, _, method = request.match_info["call"].partition(":")
        if method != "runReport":
            return google_error(404, f"Method not found: {method}")
        refused = (
            self.tokens.check(request, SCOPE)
            or self._unknown_property(property_id)
            or self._exhausted()
        )
        if refused is not None:
            return refused
        fault = self.faults.next_page()
        if fault == "fail":
            status = self.faults.fail_status
            message = THROTTLED if status == 429 else "Internal error encountered."
            return google_error(status, message, self.faults.retry_headers())
        try:
            response = self._report(property_id, await google_payload(request))
        except ValueError as exc:
            return google_error(400, str(exc))
        return malformed_json() if fault == "malformed" else json_response(response)

    def _report(self, property_id: str, body: dict[str, Any]) -> dict[str, Any]:
        check_fields(body, IMPLEMENTED, DOCUMENTED)
        if body.get("keepEmptyRows"):
            raise ValueError("The field 'keepEmptyRows' (true) is not implemented by this fake.")
        dims, metrics = named_items(body, "dimensions"), named_items(body, "metrics")
        self._validate(dims, metrics)
        ranges = body.get("dateRanges") or []
        if not isinstance(ranges, list) or len(ranges) != 1 or not isinstance(ranges[0], dict):
            raise ValueError("This fake serves exactly one dateRange.")
        first, last = (_day(ranges[0].get(k), self.today) for k in ("startDate", "endDate"))
        if first > last:
            raise ValueError(f"Invalid date range: startDate {first} is after endDate {last}.")
        limit, offset = int_field(body, "limit", 10_000) or 10_000, int_field(body, "offset", 0)
        if not 0 < limit <= MAX_LIMIT or offset < 0:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT} and offset at least 0.")
        combos = list(self._combos(property_id, dims, first, last))
        page = combos[offset : offset + limit]
        response: dict[str, Any] = {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [{"name": m, "type": METRICS[m][0]} for m in metrics],
            "metadata": self._metadata(),
            "kind": "analyticsData#runReport",
        }
        if page:
            response["rows"] = [self._row(property_id, c, dims, metrics) for c in page]
        if combos:
            response["rowCount"] = len(combos)
        quota = self._charge(len(page))
        if body.get("returnPropertyQuota"):
            response["propertyQuota"] = quota
        return response

    def _unknown_property(self, property_id: str) -> web.Response | None:
        if property_id in self.properties:
            return None
        return google_error(
            403,
            "User does not have sufficient permissions for this property. To learn more "
            "about Property ID, see https://developers.google.com/analytics/devguides/"
            "reporting/data/v1/property-id.",
        )

    def _exhausted(self) -> web.Response | None:
        """GA4's answer once a token quota is spent (no Retry-After: the tokens come back
        within the day or the hour)."""
        for remaining, period, back in (
            (self.tokens_per_day, "per day", "under 24 hours"),
            (self.tokens_per_hour, "per hour", "under an hour"),
        ):
            if remaining <= 0:
                return google_error(
                    429,
                    f"Exhausted property tokens {period}. These quota tokens will return in "
                    f"{back}. To learn more, see https://developers.google.com/analytics/"
                    "devguides/reporting/data/v1/quotas",
                )
        return None

    def _validate(self, dims: list[str], metrics: list[str]) -> None:
        known = {"date", *itertools.chain(*DIMENSION_FAMILIES.values())}
        for name in metrics:
            if name not in METRICS:
                hint = f" Did you mean {self.retired[name]}?" if name in self.retired else ""
                raise ValueError(
                    f"Field {name} is not a valid metric. For a list of valid dimensions and "
                    "metrics, see https://developers.google.com/analytics/devguides/reporting/"
                    f"data/v1/api-schema{hint}"
                )
        for name in dims:
            if name not in known:
                raise ValueError(f"Field {name} is not a valid dimension.")

    def _combos(
        self, property_id: str, dims: list[str], first: date, last: date
    ) -> Iterator[tuple[date, dict[str, str]]]:
        host, paths = self.properties[property_id]
        families: list[list[dict[str, str]]] = []
        if any(d in DIMENSION_FAMILIES["page"] for d in dims):
            pages = [*paths, "(other)"] if self.other_row else list(paths)
            families.append([{"hostName": host, "pagePath": p, "landingPage": p} for p in pages])
        if any(d in DIMENSION_FAMILIES["channel"] for d in dims):
            names = DIMENSION_FAMILIES["channel"]
            families.append([dict(zip(names, c, strict=True)) for c in CHANNELS])
        if "country" in dims:
            families.append([{"country": c} for c in ("United States", "Germany", "India")])
        if "deviceCategory" in dims:
            families.append([{"deviceCategory": d} for d in ("desktop", "mobile", "tablet")])
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            for parts in itertools.product(*families):
                yield day, {k: v for part in parts for k, v in part.items()}

    def _row(
        self,
        property_id: str,
        combo: tuple[date, dict[str, str]],
        dims: list[str],
        metrics: list[str],
    ) -> dict[str, Any]:
        day, values = combo
        late = self.revision if (self.today - day).days < 3 else 0
        key = (property_id, day, *(values.get(d, "") for d in dims if d != "date"), late)
        scale = 0.2 + 1.6 * unit(*key)
        return {
            "dimensionValues": [
                {"value": day.strftime("%Y%m%d") if d == "date" else values[d]} for d in dims
            ],
            "metricValues": [{"value": _metric(m, scale, key)} for m in metrics],
        }

    def _metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"currencyCode": "USD", "timeZone": "Etc/UTC"}
        if self.thresholding:
            meta["subjectToThresholding"] = True
        if self.other_row:
            meta["dataLossFromOtherRow"] = True
        return meta

    def _charge(self, rows: int) -> dict[str, Any]:
        """Charge a served report (every one, asked for the quota or not); the PropertyQuota."""
        cost = 1 + rows // 10_000
        self.tokens_per_day = max(0, self.tokens_per_day - cost)
        self.tokens_per_hour = max(0, self.tokens_per_hour - cost)
        return {
            "tokensPerDay": {"consumed": cost, "remaining": self.tokens_per_day},
            "tokensPerHour": {"consumed": cost, "remaining": self.tokens_per_hour},
            "concurrentRequests": {"consumed": 0, "remaining": 10},
            "serverErrorsPerProjectPerHour": {"consumed": 0, "remaining": 10},
            "potentiallyThresholdedRequestsPerHour": {"consumed": 0, "remaining": 120},
            "tokensPerProjectPerHour": {"consumed": 1, "remaining": 13_999},
        }


def _metric(name: str, scale: float, key: tuple[object, ...]) -> str:
    kind, size = METRICS[name]
    if kind == "TYPE_INTEGER":
        return str(int(size * scale * (0.5 + unit(name, *key))))
    if name.endswith("Rate"):
        return repr(0.25 + 0.6 * unit(name, *key))
    return repr(round(size * scale * unit(name, *key), 2))


def _day(value: Any, today: date) -> date:
    text = str(value)
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    if text.endswith("daysAgo") and text[:-7].isdigit():
        return today - timedelta(days=int(text[:-7]))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"Invalid date: {text}. Use YYYY-MM-DD, today, yesterday or NdaysAgo."
        ) from None
