"""A fake of the Search Console API `sites/{siteUrl}/searchAnalytics/query`, with deterministic
queries for a site's pages.

Faithful where a client can tell: request validation with Google error bodies, 403 for a site
the token cannot see, positional `keys` in the order of `dimensions`, rows ordered by clicks,
`rowLimit` up to 25,000 and `startRow` paging that ends with a page without `rows`,
`dataState` (final data stops `final_lag_days` before today; `all` adds fresher days and
`metadata.firstIncompleteDate`). Rows are computed from their index, so a million of them cost
no memory. Knobs: `faults`, `revision` (late corrections to the last days), `rate_limit` (a
query quota answered with 429 RESOURCE_EXHAUSTED and Retry-After).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from marketloop.fakes.common import (
    Faults,
    TokenBucket,
    check_fields,
    fractions,
    google_error,
    google_payload,
    int_field,
    json_errors,
    json_response,
    malformed_json,
    method_not_found,
)
from marketloop.fakes.google_token import GoogleTokens

SCOPE = "https://www.googleapis.com/auth/webmasters.readonly"
#: searchAnalytics.query body fields: served, and documented but refused (named) by this fake
IMPLEMENTED = {"startDate", "endDate", "dimensions", "type", "searchType", "aggregationType",
               "dataState", "rowLimit", "startRow"}  # fmt: skip
DOCUMENTED = {"dimensionFilterGroups"}
TYPES = {"web", "image", "video", "news", "discover", "googleNews"}
DIMENSIONS = {"date", "query", "page", "country", "device", "searchAppearance", "hour"}
ROW_DIMENSIONS = ("date", "query", "page", "country", "device")  # the ones this fake serves
COUNTRIES = ("usa", "gbr", "deu", "ind", "can", "fra", "aus", "bra")
DEVICES = ("DESKTOP", "MOBILE", "TABLET")
TEMPLATES = ("{t}", "{t} software", "best {t}", "how to {t}", "{t} examples", "{t} pricing")


@dataclass
class GscFake:
    tokens: GoogleTokens
    sites: dict[str, Sequence[str]]  # site URL (property) → page URLs
    today: date = field(default_factory=date.today)
    queries_per_page: int = 3
    countries: int = 3
    final_lag_days: int = 3
    revision: int = 0
    faults: Faults = field(default_factory=Faults)
    rate_limit: tuple[int, float] | None = None  # (queries, per seconds), e.g. (1200, 60.0)
    requests: int = 0
    _bucket: TokenBucket | None = None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[json_errors(google_error)])
        app.router.add_post("/webmasters/v3/sites/{site}/searchAnalytics/query", self._query)
        method_not_found(app)
        return app

    @property
    def rows_per_day(self) -> int:
        pages = max(len(p) for p in self.sites.values())
        return pages * self.queries_per_page * self.countries * len(DEVICES)

    async def _query(self, request: web.Request) -> web.Response:
        self.requests += 1
        denied = self.tokens.check(request, SCOPE)
        if denied is not None:
            return denied
        site = request.match_info["site"]
        if site not in self.sites:
            return google_error(
                403,
                f"User does not have sufficient permission for site '{site}'. See also: "
                "https://support.google.com/webmasters/answer/2451999.",
            )
        limited = self._rate_limited()
        if limited is not None:
            return limited
        fault = self.faults.next_page()
        if fault == "fail":
            return google_error(
                self.faults.fail_status, "Backend Error", self.faults.retry_headers()
            )
        try:
            response = self._answer(site, await google_payload(request))
        except ValueError as exc:
            return google_error(400, str(exc))
        return malformed_json() if fault == "malformed" else json_response(response)

    def _rate_limited(self) -> web.Response | None:
        if self.rate_limit is None:
            return None
        self._bucket = self._bucket or TokenBucket(*self.rate_limit)
        wait = self._bucket.take()
        if wait == 0.0:
            return None
        message = "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'."
        return google_error(429, message, {"Retry-After": str(math.ceil(wait))})

    def _answer(self, site: str, body: dict[str, Any]) -> dict[str, Any]:
        first, last, dims, row_limit, start_row = _validated(body)
        state = body.get("dataState", "final")
        newest = self.today - timedelta(days=1 if state == "all" else self.final_lag_days)
        last = min(last, newest)
        days = max(0, (last - first).days + 1)
        total = days * self.rows_per_day
        stop = min(total, start_row + row_limit)
        response: dict[str, Any] = {"responseAggregationType": "byPage"}
        if start_row < stop:
            response["rows"] = self._rows(site, first, days, dims, range(start_row, stop))
        incomplete = self.today - timedelta(days=self.final_lag_days - 1)
        if state == "all" and "date" in dims and first <= incomplete <= last:
            response["metadata"] = {"firstIncompleteDate": incomplete.isoformat()}
        return response

    def _rows(
        self, site: str, first: date, days: int, dims: list[str], numbers: range
    ) -> list[dict[str, Any]]:
        """Rows number `numbers` over all days, interleaved so clicks fall as the number grows."""
        pages = self.sites[site]
        dates = [first + timedelta(days=d) for d in range(days)]
        names = [day.isoformat() for day in dates]
        late = [self.revision if (self.today - day).days <= 4 else 0 for day in dates]
        order = [ROW_DIMENSIONS.index(d) for d in dims]
        queries: dict[tuple[int, int], str] = {}
        rows = []
        for k in numbers:
            d, j = k % days, k // days
            rest, device = divmod(j, len(DEVICES))
            rest, country = divmod(rest, self.countries)
            page_index, query_index = divmod(rest, self.queries_per_page)
            page = pages[page_index % len(pages)]
            text = queries.get((page_index, query_index))
            if text is None:
                text = queries[(page_index, query_index)] = _query_text(page, query_index)
            noise, ctr, position = fractions(f"{site}|{names[d]}|{j}|{late[d]}")
            impressions = 1 + int(5000 * noise / (1 + j) ** 0.6)
            clicks = int(impressions * (0.02 + 0.25 * ctr))
            values = (names[d], text, page, COUNTRIES[country], DEVICES[device])
            rows.append(
                {
                    "keys": [values[i] for i in order],
                    "clicks": clicks,
                    "impressions": impressions,
                    "ctr": clicks / impressions,
                    "position": round(1 + 40 * position**2, 2),
                }
            )
        return rows


def _validated(body: dict[str, Any]) -> tuple[date, date, list[str], int, int]:
    check_fields(body, IMPLEMENTED, DOCUMENTED)
    if body.get("aggregationType", "auto") not in ("auto", "byPage"):
        raise ValueError("Only aggregationType auto and byPage are implemented by this fake.")
    try:
        first = date.fromisoformat(body["startDate"])
        last = date.fromisoformat(body["endDate"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("startDate and endDate are required, as YYYY-MM-DD.") from None
    if first > last:
        raise ValueError("startDate must be before or equal to endDate.")
    dims = body.get("dimensions") or []
    if not isinstance(dims, list):
        raise ValueError("Invalid value at 'dimensions': expected a list.")
    bad = [d for d in dims if not isinstance(d, str) or d not in DIMENSIONS]
    if bad:
        raise ValueError(f"Invalid value at 'dimensions' ({bad[0]}).")
    unserved = [d for d in dims if d not in ROW_DIMENSIONS]
    if unserved:
        raise ValueError(f"This fake does not serve the dimension {unserved[0]}.")
    kind = body.get("type", body.get("searchType", "web"))
    if not isinstance(kind, str) or kind not in TYPES:
        raise ValueError(f"Invalid value at 'type' ({kind}).")
    if str(body.get("dataState", "final")) not in ("final", "all", "hourly_all"):
        raise ValueError("Invalid value at 'data_state'.")
    row_limit, start_row = int_field(body, "rowLimit", 1000), int_field(body, "startRow", 0)
    if not 1 <= row_limit <= 25_000 or start_row < 0:
        raise ValueError("rowLimit must be between 1 and 25000; startRow must be at least 0.")
    return first, last, dims, row_limit, start_row


def _query_text(page: str, index: int) -> str:
    slug = urlsplit(page).path.rstrip("/").rsplit("/", 1)[-1]
    topic = slug.replace("-", " ").replace("_", " ") or "marketing automation platform"
    return TEMPLATES[index % len(TEMPLATES)].format(t=topic)
