"""Publish a brief as a Notion page, idempotently, and pick up where a failed run stopped.

The page is found by its `marketloop_id` column (a query on the data source), so publishing a
brief twice updates one page; the fields in `notion.create_only` (status and owner by default)
are written only on create, so what editors set there survives re-publishing. Its body is
reconciled, not rewritten: the blocks already on the page that match the brief at the start and
at the end are kept, the ones in between are deleted and the missing ones inserted, 100 (and
under 500 KB) per request. A run killed half way, or a block Notion rejected, therefore costs
only the missing blocks next time.

A create or append that failed without a clear answer may still have been applied; the
publisher then looks the page up again and reconciles instead of creating a duplicate.
A block Notion rejects is left out and reported by its index in the body; the rest is kept.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from marketloop.content.brief import Brief
from marketloop.integrations.blocks import Block, chunks, fingerprint, plain_text
from marketloop.integrations.brief_page import brief_blocks, page_fields
from marketloop.integrations.errors import NotionError, NotionUnavailable, NotionValidationError
from marketloop.integrations.notion import NotionClient
from marketloop.integrations.notion_schema import PageSchema, data_source_id, read_schema
from marketloop.integrations.pacing import retry_delay

RECONCILE_ATTEMPTS = 3  # re-reads of the page after an unclear create or append
MAX_REJECTED = 20  # more rejected blocks than this means something else is wrong
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
Json = dict[str, Any]
Numbered = list[tuple[int, Block]]  # blocks with their index in the full body


@dataclass(frozen=True)
class Rejected:
    index: int  # position of the block in the brief's body
    preview: str  # its first words
    message: str  # what Notion said


@dataclass
class PageResult:
    marketloop_id: str
    page_id: str
    url: str
    created: bool
    blocks: int  # blocks in the brief's body
    kept: int = 0  # already on the page and left alone
    written: int = 0  # appended or inserted
    deleted: int = 0  # stale blocks removed
    rejected: list[Rejected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def common_ends(existing: Sequence[Any], desired: Sequence[Any]) -> tuple[int, int]:
    """Lengths of the common prefix and (non-overlapping) common suffix of two sequences."""
    prefix = 0
    limit = min(len(existing), len(desired))
    while prefix < limit and existing[prefix] == desired[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and existing[-1 - suffix] == desired[-1 - suffix]:
        suffix += 1
    return prefix, suffix


class NotionPublisher:
    def __init__(
        self, client: NotionClient, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.client = client
        self.settings = client.settings
        self._sleep = sleep
        self._schema: PageSchema | None = None
        self._users: dict[str, str] | None = None

    def prepare(self) -> PageSchema:
        """Find the data source and check its columns (once); fails before anything is written."""
        if self._schema is None:
            source = self.client.data_source(data_source_id(self.client, self.settings))
            self._schema = read_schema(source, self.settings)
        return self._schema

    def publish(self, brief: Brief, draft: str | None = None) -> PageResult:
        schema = self.prepare()
        notes: list[str] = []
        fields = page_fields(brief, self.settings.status_names)
        body: Numbered = list(enumerate(brief_blocks(brief, draft)))
        total = len(body)
        rejected: list[Rejected] = []
        page = self._find(schema, fields["marketloop_id"])
        for attempt in range(1, RECONCILE_ATTEMPTS + 1):
            try:
                values = self._values(schema, fields, page, notes)
                result = self._write(schema, page, values, body, rejected)
                break
            except NotionUnavailable:
                if attempt == RECONCILE_ATTEMPTS:
                    raise
                self._sleep(
                    retry_delay(attempt, backoff=self.settings.backoff, retry_after=None, cap=30)
                )
                page = self._find(schema, fields["marketloop_id"])  # did the write land?
        result.marketloop_id, result.blocks = fields["marketloop_id"], total
        result.rejected, result.notes = rejected, notes
        return result

    def _values(
        self, schema: PageSchema, fields: Json, page: Json | None, notes: list[str]
    ) -> Json:
        """The properties to write: all on create; on update, not the `create_only` fields."""
        leave_out = () if page is None else self.settings.create_only
        found: list[str] = []
        values = schema.values(fields, lambda owner: self._person(owner, found), leave_out)
        notes += [n for n in found if n not in notes]
        return values

    def _write(
        self,
        schema: PageSchema,
        page: Json | None,
        values: Json,
        body: Numbered,
        rejected: list[Rejected],
    ) -> PageResult:
        if page is None:
            page, first = self._create(schema, values, body, rejected)
            result = _result(page, created=True)
            result.written = first
            self._insert(page["id"], body[first:], None, body, rejected, result)
            return result
        self.client.update_page(page["id"], values)
        result = _result(page, created=False)
        self._reconcile(page["id"], body, rejected, result)
        return result

    def _create(
        self, schema: PageSchema, values: Json, body: Numbered, rejected: list[Rejected]
    ) -> tuple[Json, int]:
        """The new page, with as many blocks as one request holds; and how many that was."""
        while True:
            first = next(chunks(body, block=_block), [])
            try:
                blocks = [b for _, b in first]
                return self.client.create_page(schema.data_source_id, values, blocks), len(first)
            except NotionValidationError as exc:
                self._reject(exc, first, body, rejected)

    def _reconcile(
        self, page_id: str, body: Numbered, rejected: list[Rejected], result: PageResult
    ) -> None:
        existing = list(self.client.children(page_id))
        prefix, suffix = common_ends(
            [fingerprint(b) for b in existing], [fingerprint(b) for _, b in body]
        )
        if suffix and not prefix:
            suffix = 0  # this API version cannot insert before the first block
        stale = existing[prefix : len(existing) - suffix]
        for block in stale:
            self.client.delete_block(block["id"])
        result.kept, result.deleted = prefix + suffix, len(stale)
        anchor = existing[prefix - 1]["id"] if suffix else None
        self._insert(page_id, body[prefix : len(body) - suffix], anchor, body, rejected, result)

    def _insert(
        self,
        page_id: str,
        blocks: Numbered,
        after: str | None,
        body: Numbered,
        rejected: list[Rejected],
        result: PageResult,
    ) -> None:
        """Add `blocks` after block `after` (or at the end), 100 (and < 500 KB) per request."""
        for chunk in chunks(blocks, block=_block):
            while chunk:
                try:
                    added = self.client.append(page_id, [b for _, b in chunk], after=after)
                except NotionValidationError as exc:
                    self._reject(exc, chunk, body, rejected)
                    continue
                result.written += len(chunk)
                after = added[-1]["id"] if after and added else after
                break

    def _reject(
        self, exc: NotionValidationError, chunk: Numbered, body: Numbered, rejected: list[Rejected]
    ) -> None:
        """Leave out the block Notion named in `exc`, or re-raise when it named none."""
        if exc.block_index is None or exc.block_index >= len(chunk):
            raise exc
        if len(rejected) >= MAX_REJECTED:
            raise NotionError(
                f"Notion rejected over {MAX_REJECTED} blocks of one brief; last: {exc.message}",
                hint="check the brief's draft and that notion.base_url is Notion's API",
            ) from exc
        index, block = chunk.pop(exc.block_index)
        body.remove((index, block))
        rejected.append(Rejected(index, plain_text(block)[:60], exc.message))

    def _find(self, schema: PageSchema, page_key: str) -> Json | None:
        matches = list(self.client.query(schema.data_source_id, schema.id_filter(page_key)))
        if len(matches) > 1:
            ids = ", ".join(m["id"] for m in matches)
            raise NotionError(
                f"{len(matches)} pages in data source {schema.data_source_id} have "
                f"marketloop_id {page_key!r}: {ids}",
                hint="delete the duplicates in Notion, then publish again",
            )
        return matches[0] if matches else None

    def _person(self, owner: str, notes: list[str]) -> str | None:
        if _UUID.match(owner):
            return owner
        if self._users is None:
            self._users = {}
            for user in self.client.users():
                for key in (user.get("name"), (user.get("person") or {}).get("email")):
                    if key:
                        self._users[str(key).lower()] = user["id"]
        found = self._users.get(owner.lower())
        if found is None:
            notes.append(f"owner {owner!r} is not a user of the workspace; left empty")
        return found


def _block(item: tuple[int, Block]) -> Block:
    return item[1]


def _result(page: Json, *, created: bool) -> PageResult:
    return PageResult("", page["id"], str(page.get("url", "")), created, blocks=0)
