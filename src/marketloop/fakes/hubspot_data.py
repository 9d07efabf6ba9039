"""The records behind the HubSpot fake: contacts, companies and deals computed from their index
(so 100,000 contacts cost no memory), plus the changes a test makes (`modify`, `archive`, `add`).

Base record i of an object was last modified at `epoch + i * step`, so records sorted by
modification date are records sorted by index, and a search on the modified date is a range
plus the (few) changed records merged in.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from marketloop.fakes.common import DEFAULT_PATHS, unit

OBJECTS = ("contacts", "companies", "deals")
MODIFIED = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
FIRST_ID = {"contacts": 101, "companies": 50_001, "deals": 90_001}
FIRST = ("Ada", "Grace", "Linus", "Margaret", "Alan", "Katherine", "Tim", "Radia", "Ken", "Barbara")
LAST = ("Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Johnson", "Berners-Lee", "Perlman")
STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
)
SOURCES = (
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "DIRECT_TRAFFIC",
    "REFERRALS",
    "SOCIAL_MEDIA",
    "EMAIL_MARKETING",
)
INDUSTRIES = (
    "COMPUTER_SOFTWARE",
    "MARKETING_AND_ADVERTISING",
    "FINANCIAL_SERVICES",
    "RETAIL",
    "HOSPITAL_HEALTH_CARE",
)
DEAL_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "contractsent",
    "closedwon",
    "closedlost",
)


def iso_ms(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def pick(options: Sequence[str], *key: object) -> str:
    return options[int(unit(*key) * len(options))]


@dataclass
class HubspotData:
    urls: Sequence[str] = field(
        default_factory=lambda: [f"https://www.example.com{p}" for p in DEFAULT_PATHS]
    )
    counts: dict[str, int] = field(
        default_factory=lambda: {"contacts": 200, "companies": 20, "deals": 40}
    )
    epoch: datetime = datetime(2023, 1, 1, tzinfo=UTC)
    step: timedelta = timedelta(seconds=61)
    archived_every: int = 50  # every n-th base record is archived
    custom: dict[str, dict[str, Sequence[str]]] = field(default_factory=dict)  # extra properties
    changes: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # (object, index)
    _version: int = 0
    _index: dict[str, tuple[int, list[tuple[datetime, int]]]] = field(default_factory=dict)

    # --- what tests do to the portal ---------------------------------------------------------

    def modify(self, obj: str, index: int, at: datetime | None = None, **properties: str) -> None:
        """Change a record's properties; it is now modified at `at` (default: now)."""
        change = self.changes.setdefault((obj, index), {"properties": {}})
        change["properties"].update(properties)
        change["modified"] = at or datetime.now(UTC)
        self._version += 1

    def archive(self, obj: str, index: int, at: datetime | None = None) -> None:
        self.modify(obj, index, at)
        self.changes[(obj, index)]["archived"] = True

    def add(self, obj: str, count: int, at: datetime | None = None) -> list[int]:
        first = self.counts[obj]
        self.counts[obj] += count
        for index in range(first, first + count):
            self.modify(obj, index, at)
        return list(range(first, first + count))

    # --- reading ------------------------------------------------------------------------------

    def ident(self, obj: str, index: int) -> str:
        return str(FIRST_ID[obj] + index)

    def index_of(self, obj: str, ident: str) -> int | None:
        index = int(ident) - FIRST_ID[obj] if ident.isdigit() else -1
        return index if 0 <= index < self.counts[obj] else None

    def modified(self, obj: str, index: int) -> datetime:
        change = self.changes.get((obj, index))
        return change["modified"] if change else self.epoch + index * self.step

    def archived(self, obj: str, index: int) -> bool:
        change = self.changes.get((obj, index), {})
        return bool(change.get("archived")) or (index + 1) % self.archived_every == 0

    def record(self, obj: str, index: int, wanted: Sequence[str]) -> dict[str, Any]:
        modified = self.modified(obj, index)
        created = self.epoch + index * self.step - timedelta(days=int(30 * unit(obj, index)))
        props = {**self._base(obj, index, created), MODIFIED[obj]: iso_ms(modified)}
        for name, values in self.custom.get(obj, {}).items():
            props[name] = pick(values, obj, index, name)
        props.update(self.changes.get((obj, index), {}).get("properties", {}))
        shown = {"hs_object_id", "createdate", MODIFIED[obj], *wanted}
        record: dict[str, Any] = {
            "id": self.ident(obj, index),
            "properties": {k: v for k, v in props.items() if k in shown},
            "createdAt": iso_ms(created),
            "updatedAt": iso_ms(modified),
            "archived": self.archived(obj, index),
        }
        if record["archived"]:
            record["archivedAt"] = iso_ms(modified)
        return record

    def _base(self, obj: str, i: int, created: datetime) -> dict[str, str | None]:
        common = {"hs_object_id": self.ident(obj, i), "createdate": iso_ms(created)}
        if obj == "contacts":
            first, last = pick(FIRST, "f", i), pick(LAST, "l", i)
            company = self.contact_company(i)
            domain = f"company{company}.example" if company is not None else "gmail.example"
            return {
                **common,
                "email": f"{first.lower()}.{last.lower().replace('-', '')}{i}@{domain}",
                "firstname": first,
                "lastname": last,
                "lifecyclestage": pick(STAGES, "stage", i),
                "hs_analytics_first_url": pick(self.urls, "url", i),
                "hs_analytics_source": pick(SOURCES, "source", i),
            }
        if obj == "companies":
            return {
                **common,
                "name": f"Company {i} Ltd",
                "domain": f"company{i}.example",
                "industry": pick(INDUSTRIES, "ind", i),
            }
        close = created + timedelta(days=int(90 * unit("close", i)))
        return {
            **common,
            "dealname": f"Deal {i}",
            "amount": f"{round(500 + 49_500 * unit('amount', i), 2)}",
            "dealstage": pick(DEAL_STAGES, "dstage", i),
            "pipeline": "default",
            "closedate": iso_ms(close),
        }

    # --- associations -------------------------------------------------------------------------

    def contact_company(self, i: int) -> int | None:
        companies = self.counts["companies"]
        return None if unit("assoc", i) > 0.8 or companies == 0 else i % companies

    def associated(self, obj: str, index: int, to: str) -> list[int]:
        if obj == "contacts" and to == "companies":
            company = self.contact_company(index)
            return [] if company is None else [company]
        if obj == "deals" and to == "contacts":
            contacts = self.counts["contacts"]
            return sorted({(index * 7) % contacts, (index * 13 + 3) % contacts})[: 1 + index % 2]
        if (obj, to) in (("companies", "contacts"), ("contacts", "deals")):  # the reverses: a scan
            return [j for j in range(self.counts[to]) if index in self.associated(to, j, obj)]
        return []

    # --- the modified-date index a search walks -----------------------------------------------

    def _changed_by_time(self, obj: str) -> list[tuple[datetime, int]]:
        """Changed records by modification time (cached until the next change)."""
        version, ordered = self._index.get(obj, (-1, []))
        if version != self._version:
            ordered = sorted((c["modified"], i) for (o, i), c in self.changes.items() if o == obj)
            self._index[obj] = (self._version, ordered)
        return ordered

    def by_modified(self, obj: str, since: datetime, strict: bool) -> Iterator[int]:
        """Live (not archived) records modified at or after `since`, oldest first."""
        first = max(0, int((since - self.epoch) / self.step) - 1)
        base = (i for i in range(first, self.counts[obj]) if (obj, i) not in self.changes)
        changed = self._changed_by_time(obj)
        start = bisect.bisect_left(changed, (since, -1))
        merged = heapq.merge(((self.epoch + i * self.step, i) for i in base), changed[start:])
        for moment, index in merged:
            if (moment > since if strict else moment >= since) and not self.archived(obj, index):
                yield index
