"""Custom extractions (`[[crawl.extract]]`) beside the page list: filter pages by a field,
show a field as a column, and page through the fields of every page.

The crawl's `extractions` table (one row per rule and HTML page) is copied into the page list's
in-memory DuckDB when that is built (`audit/pagelist.py`), with each page's values joined
into one lower-cased text for `contains` filters, sorted by rule name and URL (so a filter on
one rule skips the others' row groups) and indexed by both. A filter is then a
semi-join on that table and a column is the values of the at most 50 rows on screen, so
neither scans the crawl's part files again. Values are kept exactly as the page had them
(hostile text included): escaping is the face's job (JSON, Jinja2 autoescape, csvsafe).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from marketloop.errors import UsageError

if TYPE_CHECKING:
    import duckdb

BUILD = """
CREATE TABLE extraction_list AS
SELECT page_url AS url, name, coalesce("values", []::VARCHAR[]) AS "values",
       coalesce(matches, 0) AS matches,
       lower(array_to_string(coalesce("values", []::VARCHAR[]), chr(10))) AS text_lower
FROM extractions
ORDER BY name, url
"""
INDEXES = (
    "CREATE INDEX extraction_list_name ON extraction_list (name)",
    "CREATE INDEX extraction_list_url ON extraction_list (url)",
)


@dataclass(frozen=True)
class FieldFilter:
    """Pages whose rule `name` found something (`matches` > 0); with `contains`, one of
    whose values contains it (any case)."""

    name: str
    contains: str | None = None


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Create `extraction_list` in the page list's database (whose views are connected)."""
    con.execute(BUILD)
    for sql in INDEXES:
        con.execute(sql)


def clause(where: FieldFilter, column: str = "url") -> tuple[str, list[Any]]:
    """The SQL condition on `column` (a page URL) and its parameters."""
    sql = f"{column} IN (SELECT url FROM extraction_list WHERE name = ? AND matches > 0"
    params: list[Any] = [where.name]
    if where.contains:
        sql += " AND contains(text_lower, ?)"
        params.append(where.contains.lower())
    return sql + ")", params


def names(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Each rule's name and how many pages it matched on, by name."""
    return [
        (str(name), int(pages))
        for name, pages in con.execute(
            "SELECT name, count(*) FILTER (WHERE matches > 0) FROM extraction_list "
            "GROUP BY name ORDER BY name"
        ).fetchall()
    ]


def fields_of(
    con: duckdb.DuckDBPyConnection, urls: Iterable[str], name: str | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """url → rule name → {"values", "matches"} for `urls` (only rule `name` when given)."""
    wanted = list(dict.fromkeys(urls))
    found: dict[str, dict[str, dict[str, Any]]] = {u: {} for u in wanted}
    if not wanted:
        return found
    sql = 'SELECT url, name, "values", matches FROM extraction_list WHERE url IN ?'
    params: list[Any] = [wanted]
    if name is not None:
        sql += " AND name = ?"
        params.append(name)
    for url, rule, values, matches in con.execute(sql + " ORDER BY url, name", params).fetchall():
        found[url][rule] = {"values": list(values), "matches": int(matches)}
    return found


def page_fields(
    con: duckdb.DuckDBPyConnection,
    *,
    name: str | None,
    url: str | None,
    contains: str | None,
    limit: int,
    starting_after: str | None,
) -> list[dict[str, Any]]:
    """Pages with extractions in URL order, each as {"url", "fields"}: every rule's fields of
    the page, or rule `name`'s only. With `name`, only pages it matched on (and whose values
    contain `contains`); `url` picks one page; `starting_after` is the last URL seen."""
    if contains and name is None:
        raise UsageError("value_contains needs a name", hint="pass name=RULE as well")
    clauses: list[str] = []
    params: list[Any] = []
    if name is not None:  # one row per page and rule: no DISTINCT, no semi-join
        clauses.append("name = ? AND matches > 0")
        params.append(name)
        if contains:
            clauses.append("contains(text_lower, ?)")
            params.append(contains.lower())
    if url is not None:
        clauses.append("url = ?")
        params.append(url)
    if starting_after is not None:
        clauses.append("url > ?")
        params.append(starting_after)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    distinct = "" if name is not None else "DISTINCT "
    urls = [
        row[0]
        for row in con.execute(
            f"SELECT {distinct}url FROM extraction_list{where} ORDER BY url LIMIT ?",
            [*params, limit],
        ).fetchall()
    ]
    fields = fields_of(con, urls, name)
    return [{"url": u, "fields": fields[u]} for u in dict.fromkeys(urls)]
