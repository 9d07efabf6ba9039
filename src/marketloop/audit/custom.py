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
"""

from __future__ import annotations

import re

import duckdb
from pydantic import Field, field_validator

from marketloop.audit.model import Check, Severity
from marketloop.errors import ConfigError
from marketloop.section import Section

ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
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


def as_check(custom: CustomCheck) -> Check:
    from marketloop.audit.registry import sql_finder  # the registry imports this module

    sql = custom.sql.strip().rstrip(";")
    return Check(
        custom.id,
        custom.severity,
        "defined in the settings ([[audit.custom]])",
        custom.description,
        custom.fix or "(a check of your own: see its description)",
        sql_finder(sql),
        sql=sql,
    )


def validate(con: duckdb.DuckDBPyConnection, customs: list[CustomCheck]) -> None:
    """Plan each check's SQL on the audit views: a bad one stops the audit, naming it."""
    for custom in customs:
        sql = custom.sql.strip().rstrip(";")
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
