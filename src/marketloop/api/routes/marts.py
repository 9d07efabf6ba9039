"""The marts dbt builds (`<schema_prefix>_marts`), paged and filtered by date and URL.

Table-driven: a mart is one `Mart` line in `MARTS` (its unique key, its date and URL columns).
Row ids are opaque cursors over the key, so `starting_after` works for any key.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from marketloop.api.deps import SettingsDep, WarehouseDep
from marketloop.api.errors import NotFound
from marketloop.api.pagination import CursorQuery, LimitQuery, ListPage, page_of
from marketloop.api.scopes import PREFIX
from marketloop.errors import UsageError
from marketloop.quality.warehouse import Warehouse

router = APIRouter(prefix=PREFIX, tags=["marts"])


@dataclass(frozen=True)
class Mart:
    name: str
    key: tuple[str, ...]  # unique together; the order rows are paged in
    date: str | None = None  # the column date_from/date_to filter
    url: str | None = None  # the column url_contains filters


MARTS = {
    m.name: m
    for m in (
        Mart("page_performance", ("page_key", "date"), date="date", url="page_key"),
        Mart("query_performance", ("query", "date", "search_type"), date="date"),
        Mart("landing_page_leads", ("page_key",), url="page_key"),
        Mart("content_performance", ("slug", "week"), date="week_start", url="url"),
    )
}
MartName = Annotated[str, Path(pattern=f"^({'|'.join(MARTS)})$", description="which mart")]


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise UsageError(f"starting_after {cursor[:80]!r} is not a row id of this mart")
    return values


@router.get("/marts/{mart}", response_model=ListPage[dict[str, Any]])
def read_mart(
    mart: MartName,
    wh: WarehouseDep,
    settings: SettingsDep,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    url_contains: Annotated[str | None, Query(max_length=2048)] = None,
    limit: LimitQuery = 50,
    starting_after: CursorQuery = None,
) -> ListPage[dict[str, Any]]:
    """Rows of a mart by its key; each row's `id` is the cursor for `starting_after`."""
    spec = MARTS[mart]
    schema = f"{settings.quality.schema_prefix}_marts"
    if (date_from or date_to) and spec.date is None:
        raise UsageError(f"{mart} has no date column to filter")
    if url_contains and spec.url is None:
        raise UsageError(f"{mart} has no URL column to filter")
    _require(wh, schema, mart)
    clauses: list[str] = []
    params: list[Any] = []
    if date_from:
        clauses.append(f"{spec.date} >= ?")
        params.append(date_from)
    if date_to:
        clauses.append(f"{spec.date} <= ?")
        params.append(date_to)
    if url_contains:
        clauses.append(f"lower({spec.url}) like ?")
        params.append("%" + url_contains.lower().replace("%", "").replace("_", "") + "%")
    if starting_after:
        keys = decode_cursor(starting_after, len(spec.key))
        clauses.append(f"({', '.join(spec.key)}) > ({', '.join('?' * len(keys))})")
        params += [_typed(spec, column, v) for column, v in zip(spec.key, keys, strict=True)]
    sql = f"select * from {schema}.{mart}"
    if clauses:
        sql += " where " + " and ".join(clauses)
    sql += f" order by {', '.join(spec.key)} limit ?"
    rows = wh.rows(sql, [*params, limit + 1])
    for row in rows:
        row["id"] = encode_cursor([row[k] for k in spec.key])
    return page_of(rows, limit)


def _typed(spec: Mart, column: str, value: Any) -> Any:
    if column == spec.date and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise UsageError("starting_after is not a row id of this mart") from None
    if not isinstance(value, str | int | float):
        raise UsageError("starting_after is not a row id of this mart")
    return value


def _require(wh: Warehouse, schema: str, mart: str) -> None:
    found = wh.rows(
        "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, mart],
    )
    if not found:
        raise NotFound(f"mart {mart} is not built", hint="run `marketloop quality run`")
