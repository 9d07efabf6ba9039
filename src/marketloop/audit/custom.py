"""Checks of one's own: SQL in the settings, registered beside the built-in ones.

    [[audit.custom]]
    id = "thin_product_page"
    severity = "warning"
    description = "A product page has fewer than 150 words."
    fix = "Add specifications, usage and reviews."
    sql = '''SELECT url, word_count || ' words' AS detail, word_count AS value
             FROM indexable_pages WHERE url LIKE '%/p/%' AND word_count < 150'''

The SQL sees what the built-in checks see (docs/audit.md: `pages`, `links`, `indexable_pages`,
`page_state`, `refs`, ...) and returns the columns `url` and `detail`, optionally `value` and
`threshold`. Ids that clash with a built-in check, and SQL that does not parse, names an
unknown table or column, or returns other columns are refused before the audit starts, with
the check's id.

The SQL may read those views and nothing else (`confine`): it must be one SELECT statement
(so it cannot close the parentheses the audit wraps it in and write with COPY, ATTACH or
INSTALL), call no table function (`read_csv`, `read_text`, `glob`, `query`, ...) and name no
table but the audit's views and its own CTEs (a quoted file name would be read as a file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import duckdb
from pydantic import Field, field_validator

from marketloop.audit.model import Check, Severity
from marketloop.errors import ConfigError, first_line
from marketloop.section import Section

ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
#: the `scope` of every custom check (how the engine tells one from a built-in check)
SCOPE = "defined in the settings ([[audit.custom]])"
#: a CTE's name: a plain identifier, never a file name DuckDB would read instead
CTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: table functions that make rows without reading anything
PURE_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
REQUIRED = ("url", "detail")
OPTIONAL = ("value", "threshold")


class CustomCheck(Section):
    id: str = Field(description="lower_snake_case, unique among all checks")
    severity: Severity
    description: str = Field(min_length=1, description="one line: what the issue is")
    fix: str = Field("", description="why it matters and how to fix it")
    sql: str = Field(min_length=1, description="SELECT url, detail[, value][, threshold] ...")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ID.match(value):
            raise ValueError(f"{value!r} is not a check id (lower_snake_case, 2-63 characters)")
        return value


def is_custom(check: Check) -> bool:
    return check.scope == SCOPE


def failed(check: Check, crawl_id: str, exc: BaseException) -> ConfigError:
    """A custom check whose SQL failed while it ran (a cast, `error()`, ...), said as such."""
    return ConfigError(
        f"audit.custom check {check.id} failed on crawl {crawl_id}: {first_line(exc)}",
        hint=f"fix its SQL, or set audit.disabled = ['{check.id}']; if the SQL is right, a part "
        "file of the crawl may be damaged: re-run the crawl",
    )


def as_check(custom: CustomCheck) -> Check:
    from marketloop.audit.registry import sql_finder  # the registry imports this module

    sql = custom.sql.strip().rstrip(";")
    return Check(
        custom.id,
        custom.severity,
        SCOPE,
        custom.description,
        custom.fix or "(a check of your own: see its description)",
        sql_finder(sql),
        sql=sql,
    )


def validate(con: duckdb.DuckDBPyConnection, customs: list[CustomCheck]) -> None:
    """Plan each check's SQL on the audit views: a bad one stops the audit, naming it."""
    views = _views(con) if customs else frozenset()
    for custom in customs:
        sql = custom.sql.strip().rstrip(";")
        confine(con, custom.id, sql, views)
        try:
            columns = [row[0] for row in con.execute(f"DESCRIBE ({sql})").fetchall()]
        except duckdb.Error as exc:
            raise ConfigError(
                f"audit.custom check {custom.id}: its SQL is invalid: {str(exc).splitlines()[0]}",
                hint="test it with `duckdb` on the dataset's views (docs/audit.md)",
            ) from None
        missing = [c for c in REQUIRED if c not in columns]
        extra = [c for c in columns if c not in REQUIRED + OPTIONAL]
        if missing or extra:
            problem = "lacks " + ", ".join(missing) if missing else "adds " + ", ".join(extra)
            raise ConfigError(
                f"audit.custom check {custom.id}: its SQL returns {', '.join(columns)} ({problem})",
                hint="return url and detail, optionally value and threshold",
            )


def confine(con: duckdb.DuckDBPyConnection, check_id: str, sql: str, views: frozenset[str]) -> None:
    """ConfigError unless `sql` is one SELECT that reads only `views` (and its own CTEs)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise _refused(check_id, f"its SQL is invalid: {first_line(exc)}") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        kinds = ", ".join(s.type.name for s in statements) or "none"
        raise _refused(check_id, f"its SQL must be one SELECT statement (it has: {kinds})")
    serialised = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    tree = json.loads(serialised[0]) if serialised else {"error": True}
    if tree.get("error"):
        raise _refused(check_id, f"its SQL is invalid: {tree.get('error_message', '')}")
    ctes = {name for name in _cte_names(tree) if CTE_NAME.match(name)}
    for ref in _nodes(tree):
        if ref.get("type") == "TABLE_FUNCTION" and "class" not in ref:
            name = ref.get("function", {}).get("function_name", "?")
            if name.lower() in PURE_TABLE_FUNCTIONS:
                continue
            raise _refused(check_id, f"it calls the table function {name}()")
        if ref.get("type") == "BASE_TABLE" and "class" not in ref:
            name = str(ref.get("table_name", ""))
            qualified = ref.get("schema_name") not in ("", "main", "temp") or ref.get(
                "catalog_name"
            ) not in ("", "memory", "temp")
            if qualified or (name not in views and name not in ctes):
                raise _refused(check_id, f"it reads a table that is not an audit view: {name!r}")


def _refused(check_id: str, problem: str) -> ConfigError:
    return ConfigError(
        f"audit.custom check {check_id}: {problem}",
        hint="a custom check is one SELECT over the audit's views (docs/audit.md), "
        "without table functions or files",
    )


def _views(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The tables and views the audit made: what a custom check may read."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
    ).fetchall()
    return frozenset(row[0] for row in rows)


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a serialised statement, depth first."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _cte_names(tree: Any) -> Iterator[str]:
    for node in _nodes(tree):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            yield from (str(entry.get("key", "")) for entry in cte_map.get("map", []))
