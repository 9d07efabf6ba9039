"""Checks of one's own in SQL (`[[audit.custom]]`): run beside the built-in ones, listed by
`marketloop audit checks`, refused by id when their SQL or columns are wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.cli import app
from marketloop.errors import ConfigError

from .builder import url
from .conftest import MakeDataset

THIN = {
    "id": "thin_blog_post",
    "severity": "warning",
    "description": "A blog post has fewer than 200 words.",
    "sql": "SELECT url, word_count || ' words <b>' AS detail, word_count AS value "
    "FROM indexable_pages WHERE url LIKE '%/blog/%' AND word_count < 200;",
}


def settings(**custom: Any) -> AuditSettings:
    return AuditSettings(custom=[{**THIN, **custom}])


def test_a_custom_check_runs_beside_the_built_in_ones(make_dataset: MakeDataset) -> None:
    folder = make_dataset([{"page": {"url": "/blog/first-post", "word_count": 120}}])
    result = audit(folder, settings(), save=False)
    mine = [i for i in result.issues if i.check == "thin_blog_post"]
    assert [(i.url, i.detail, i.value) for i in mine] == [
        (url("/blog/first-post"), "120 words <b>", 120.0)
    ]
    assert any(i.check == "low_content" for i in result.issues)  # built-ins still run
    ticket = next(t for t in result.tickets if t.check == "thin_blog_post")
    assert ticket.description == THIN["description"] and ticket.urls == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sql": "SELEC url"}, "thin_blog_post: its SQL is invalid"),
        ({"sql": "SELECT url, detail FROM no_such_view"}, "no_such_view"),
        ({"sql": "SELECT url FROM pages"}, "returns url (lacks detail)"),
        ({"sql": "SELECT url, status AS detail, depth FROM pages"}, "(adds depth)"),
        ({"id": "missing_title"}, "the id is taken by a built-in check"),
    ],
)
def test_a_bad_custom_check_is_refused_by_id(
    make_dataset: MakeDataset, change: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=r".*") as caught:
        audit(make_dataset(), settings(**change), save=False)
    assert message in str(caught.value)


def test_ids_and_severities_are_validated_in_the_settings() -> None:
    with pytest.raises(ValueError, match="is not a check id"):
        settings(id="Thin Posts")
    with pytest.raises(ValueError, match="severity"):
        settings(severity="urgent")


def test_audit_checks_lists_built_in_and_custom(tmp_path: Path) -> None:
    config = tmp_path / "marketloop.toml"
    config.write_text(
        "[[audit.custom]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in THIN.items())
    )
    result = CliRunner().invoke(
        app, ["--config", str(config), "audit", "checks", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["thin_blog_post"]["source"] == "custom"
    assert rows["missing_title"]["source"] == "built-in"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        # closing the audit's parentheses to run a second statement
        (
            "SELECT url, 'x' AS detail FROM pages) ; COPY (SELECT 42) TO '{out}'; SELECT (1",
            "its SQL is invalid",
        ),
        ("SELECT url, 'x' AS detail FROM pages; COPY pages TO '{out}'", "one SELECT statement"),
        ("COPY (SELECT url, 'x' AS detail FROM pages) TO '{out}'", "(it has: COPY)"),
        ("ATTACH '{out}' AS other", "(it has: ATTACH)"),
        ("INSTALL httpfs", "one SELECT statement"),
        ("SELECT url, 'x' AS detail FROM pages; DROP TABLE crawl", "one SELECT statement"),
        (
            "SELECT url, (SELECT content FROM read_text('{secret}')) AS detail FROM pages",
            "the table function read_text()",
        ),
        ("SELECT column0 AS url, 'x' AS detail FROM read_csv('{secret}')", "read_csv()"),
        ("SELECT * FROM query('SELECT 1 AS url, 2 AS detail')", "the table function query()"),
        ("SELECT url, 'x' AS detail FROM glob('/*') g, pages", "glob()"),
        ("SELECT 'u' AS url, column0 AS detail FROM '{secret}'", "not an audit view"),
        ("SELECT 'u' AS url, table_name AS detail FROM information_schema.tables", "'tables'"),
        (
            'WITH "{secret}" AS (SELECT 1) SELECT url, \'x\' AS detail FROM pages, "{secret}"',
            "not an audit view",
        ),
    ],
)
def test_a_custom_check_reads_only_the_audit_views(
    make_dataset: MakeDataset, tmp_path: Path, sql: str, message: str
) -> None:
    """No file outside the views is read or written, whatever the SQL tries; the refusal names
    the check and what it tried (the secret file's content is nowhere)."""
    secret = tmp_path / "secret.csv"
    secret.write_text("column0\nTOP-SECRET-VALUE\n")
    out = tmp_path / "written.csv"
    with pytest.raises(ConfigError) as caught:
        audit(make_dataset(), settings(sql=sql.format(out=out, secret=secret)), save=False)
    assert "audit.custom check thin_blog_post: " in str(caught.value)
    assert message in str(caught.value)
    assert "TOP-SECRET-VALUE" not in str(caught.value)
    assert not out.exists()


def test_ctes_subqueries_and_pure_table_functions_stay_allowed(
    make_dataset: MakeDataset,
) -> None:
    folder = make_dataset([{"page": {"url": "/blog/first-post", "word_count": 120}}])
    sql = (
        "WITH thin AS (SELECT url, word_count FROM indexable_pages WHERE word_count < 200) "
        "SELECT t.url, 'thin x' || r.range AS detail FROM thin t, range(1) r "
        "WHERE t.url IN (SELECT url FROM main.pages) AND t.url LIKE '%/blog/%'"
    )
    result = audit(folder, settings(sql=sql), save=False)
    mine = [(i.url, i.detail) for i in result.issues if i.check == "thin_blog_post"]
    assert mine == [(url("/blog/first-post"), "thin x0")]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT url, CAST(url AS INTEGER)::VARCHAR AS detail FROM pages",
        "SELECT url, 'x' AS detail, 'not a number <script>' AS value FROM pages",
        "SELECT url, 'x' AS detail FROM pages WHERE error('boom [red]')",
    ],
)
def test_a_custom_check_that_fails_while_it_runs_is_blamed_not_the_crawl(
    make_dataset: MakeDataset, sql: str
) -> None:
    """It plans, then fails on the data: the error names the check and its SQL, not a damaged
    part file."""
    with pytest.raises(ConfigError) as caught:
        audit(make_dataset(), settings(sql=sql), save=False)
    assert str(caught.value).startswith("audit.custom check thin_blog_post failed on crawl ")
    assert "fix its SQL" in (caught.value.hint or "")
