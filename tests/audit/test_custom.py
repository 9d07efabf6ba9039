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
