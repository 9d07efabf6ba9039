"""`publish_command` through a local typer app (the lead registers it as `briefs publish`),
and the `notion` and `webhooks` command groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.integrations.cli import publish_command

from .conftest import SECRET, Notion, Receiver, long_draft, make_brief, write_briefs

briefs = typer.Typer()
briefs.command("publish")(publish_command)
briefs.command("noop")(lambda: None)  # a group, as `marketloop briefs` will be


@pytest.fixture
def env(notion: Notion, receiver: Receiver, tmp_path: Path) -> dict[str, str]:
    return {
        "MARKETLOOP_WORKSPACE": str(tmp_path / "ws"),
        "MARKETLOOP_NOTION_TOKEN": notion.fake.token,
        "MARKETLOOP_NOTION_DATABASE_ID": notion.database_id,
        "MARKETLOOP_NOTION_BASE_URL": notion.url,
        "MARKETLOOP_NOTION_RATE": "1000",
        "MARKETLOOP_NOTION_BURST": "100",
        "MARKETLOOP_WEBHOOKS_URLS": json.dumps([receiver.url]),
        "MARKETLOOP_WEBHOOKS_SECRET": SECRET,
        "MARKETLOOP_WEBHOOKS_BACKOFF": "0",
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_briefs(
        tmp_path / "briefs",
        make_brief(),
        make_brief(slug="crm-pricing", cluster="crm pricing"),
        drafts={"crm-software": long_draft(30)},
    )


def test_publish_to_notion_then_again(
    cli: CliRunner, env: dict[str, str], folder: Path, notion: Notion
) -> None:
    first = cli.invoke(
        briefs, ["publish", str(folder), "--to", "notion", "--format", "json"], env=env
    )
    assert first.exit_code == 0, first.output
    rows = json.loads(first.stdout)
    assert [(r["brief"], r["action"]) for r in rows] == [
        ("crm-pricing", "created"),
        ("crm-software", "created"),
    ]
    assert all(r["url/status"].startswith("https://www.notion.so/") for r in rows)
    again = cli.invoke(
        briefs, ["publish", str(folder), "--to", "notion", "--format", "json"], env=env
    )
    assert [r["action"] for r in json.loads(again.stdout)] == ["updated", "updated"]
    assert len(notion.pages()) == 2


def test_publish_to_webhooks(
    cli: CliRunner, env: dict[str, str], folder: Path, receiver: Receiver
) -> None:
    result = cli.invoke(
        briefs, ["publish", str(folder), "--to", "webhook", "--format", "csv"], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "brief,target,action,url/status,detail"
    assert result.stdout.count(",sent,200,") == 2
    assert [e["type"] for e in receiver.fake.events] == ["brief.created"] * 2
    assert {e["data"]["marketloop_id"] for e in receiver.fake.events} == {
        "brief:crm-software",
        "brief:crm-pricing",
    }
    again = cli.invoke(
        briefs, ["publish", str(folder), "--to", "webhook", "--format", "csv"], env=env
    )
    assert again.stdout.count(",already sent,") == 2 and receiver.fake.attempts == 2


def test_a_bad_brief_file_fails_alone(
    cli: CliRunner, env: dict[str, str], folder: Path, notion: Notion
) -> None:
    (folder / "broken.json").write_text('{"slug": "broken", "cluster": "x"', encoding="utf-8")
    (folder / "invalid.json").write_text(
        json.dumps({"slug": "invalid", "cluster": "x"}), encoding="utf-8"
    )
    (folder / "manifest.json").write_text(
        json.dumps({"briefs": 2}), encoding="utf-8"
    )  # not a brief
    result = cli.invoke(
        briefs, ["publish", str(folder), "--to", "notion", "--format", "json"], env=env
    )
    assert result.exit_code == 1  # CliRunner without the edge: the IntegrationError itself
    assert "2 of 4 publications failed" in str(result.exception)
    rows = {r["brief"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"broken", "crm-pricing", "crm-software", "invalid"}
    assert "not valid JSON" in rows["broken"]["detail"]
    assert (
        "not a valid brief" in rows["invalid"]["detail"]
        and "title_options" in rows["invalid"]["detail"]
    )
    assert len(notion.pages()) == 2


def test_a_bad_token_stops_before_any_write(
    cli: CliRunner, env: dict[str, str], folder: Path, notion: Notion
) -> None:
    env["MARKETLOOP_NOTION_TOKEN"] = "ntn_revoked_0000000000000"
    result = cli.invoke(app, ["notion", "check"], env=env)
    assert result.exit_code == 1 and "401 unauthorized" in str(result.exception)
    published = cli.invoke(briefs, ["publish", str(folder), "--to", "notion"], env=env)
    assert published.exit_code == 1 and notion.writes() == []
    assert "ntn_revoked" not in published.output + str(published.exception)


def test_a_missing_folder_says_how_to_make_one(
    cli: CliRunner, env: dict[str, str], tmp_path: Path
) -> None:
    result = cli.invoke(briefs, ["publish", str(tmp_path / "nope"), "--to", "notion"], env=env)
    assert "does not exist" in str(result.exception) and "briefs generate" in str(result.exception)


def test_notion_setup_adds_missing_columns_then_check_passes(
    cli: CliRunner, env: dict[str, str], notion: Notion
) -> None:
    database, source = notion.fake.add_database("Empty", {"Name": "title"})
    env["MARKETLOOP_NOTION_DATABASE_ID"] = database
    assert "notion setup" in str(cli.invoke(app, ["notion", "check"], env=env).exception)
    setup = cli.invoke(app, ["notion", "setup"], env=env)
    assert setup.exit_code == 0, setup.output
    assert "Status (select)" in setup.output
    check = cli.invoke(app, ["notion", "check", "--format", "json"], env=env)
    assert {r["field"]: r["type"] for r in json.loads(check.stdout)}["status"] == "select"
    assert set(notion.fake.sources[source]["properties"]) >= {"Cluster", "Owner", "marketloop_id"}


def test_webhooks_test_and_deliveries(
    cli: CliRunner, env: dict[str, str], receiver: Receiver
) -> None:
    sent = cli.invoke(app, ["webhooks", "test"], env=env)
    assert sent.exit_code == 0, sent.output
    listed = cli.invoke(app, ["webhooks", "deliveries", "--format", "json"], env=env)
    [row] = json.loads(listed.stdout)
    assert row["event_type"] == "ping" and row["delivered"] is True and "AbC123" not in row["url"]
    receiver.fake.fail_next = [400]
    failed = cli.invoke(app, ["webhooks", "test"], env=env)
    assert failed.exit_code == 1 and "did not accept" in str(failed.exception)


def test_help_explains(cli: CliRunner) -> None:
    result = cli.invoke(briefs, ["publish", "--help"])
    assert "marketloop_id" in result.output and "Zapier" in result.output


def test_the_cli_edge_turns_errors_into_exit_codes(env: dict[str, str]) -> None:
    import os
    import subprocess
    import sys

    import marketloop

    src = str(Path(marketloop.__file__).parents[1])  # this worktree's code, not an installed one
    bad = {
        **os.environ,
        **env,
        "PYTHONPATH": src,
        "MARKETLOOP_NOTION_TOKEN": "ntn_revoked_0000000000000",
    }
    run = subprocess.run(
        [sys.executable, "-m", "marketloop", "notion", "check"],
        capture_output=True,
        text=True,
        env=bad,
        check=False,
    )
    assert run.returncode == 3
    assert (
        "error:" in run.stderr
        and "MARKETLOOP_NOTION_TOKEN" in run.stderr
        and "ntn_revoked" not in run.stderr
    )
    unset = {k: v for k, v in bad.items() if k != "MARKETLOOP_NOTION_TOKEN"}
    run = subprocess.run(
        [sys.executable, "-m", "marketloop", "notion", "check"],
        capture_output=True,
        text=True,
        env=unset,
        check=False,
    )
    assert run.returncode == 2 and "notion.token is not set" in run.stderr


def test_no_token_in_logs_even_at_debug(
    cli: CliRunner,
    env: dict[str, str],
    folder: Path,
    notion: Notion,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    notion.fake.fail_next(503, "/v1/data_sources/", method="GET")  # provokes a logged retry
    env |= {"MARKETLOOP_LOG_LEVEL": "debug", "MARKETLOOP_NOTION_BACKOFF": "0"}
    result = cli.invoke(briefs, ["publish", str(folder), "--to", "notion"], env=env)
    assert result.exit_code == 0, result.output
    logged = result.output + caplog.text
    assert "notion.retry" in logged  # the retry was logged ...
    assert notion.fake.token not in logged and "Bearer" not in logged  # ... without the token


def test_publishing_records_each_brief_once_with_its_url(
    cli: CliRunner, env: dict[str, str], tmp_path: Path
) -> None:
    from marketloop.config import app_db_url, load_settings
    from marketloop.integrations.published import published_briefs

    folder = write_briefs(
        tmp_path / "update",
        make_brief(slug="crm-refresh", action="update", target_url="https://acme.test/crm"),
        make_brief(slug="crm-new", cluster="crm new"),
    )
    for to in ("notion", "notion", "webhook"):
        result = cli.invoke(briefs, ["publish", str(folder), "--to", to], env=env)
        assert result.exit_code == 0, result.output
    db = app_db_url(load_settings(overrides={"workspace": tmp_path / "ws"}))
    rows = {r["slug"]: r for r in published_briefs(db)}
    assert {s: (r["action"], r["url"], r["channel"]) for s, r in rows.items()} == {
        "crm-refresh": ("update", "https://acme.test/crm", "notion"),
        "crm-new": ("new", None, "notion"),  # no URL until `briefs live`
    }
    assert all(r["published_at"] == r["recorded_at"] for r in rows.values())  # the first time
