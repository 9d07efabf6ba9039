"""The runner's tables arrive on their own Alembic branch: an app database made before the
runner existed (every other branch at its head) upgrades in place, keeping what it held."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from marketloop.appdb import MIGRATIONS, open_app_db


def test_a_database_from_before_the_runner_upgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = [
        f"{label}@head"
        for script in ScriptDirectory.from_config(config).get_revisions("heads")
        for label in script.branch_labels
        if label != "runner"
    ]
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        for head in heads:
            command.upgrade(config, head)
    with engine.begin() as connection:
        assert "runner_runs" not in sa.inspect(connection).get_table_names()
        connection.execute(
            sa.text(
                "INSERT INTO plan_events (plan_id, kind, task, effective_at, recorded_at, actor, "
                "data) VALUES ('p', 'done', 'day1', '2026-12-01', '2026-12-01', 'ada', '{}')"
            )
        )
    engine.dispose()
    upgraded = open_app_db(url)
    with upgraded.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        assert {"runner_runs", "runner_steps", "runner_schedules"} <= tables
        assert connection.execute(sa.text("SELECT count(*) FROM plan_events")).scalar() == 1
