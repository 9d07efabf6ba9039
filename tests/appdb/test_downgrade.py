"""Every migration can be undone: for each revision, upgrade every branch to its head, downgrade
that revision (and what follows it on its branch), check that the schema lost what it added, then
upgrade again and get the same schema back. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect

from marketloop.appdb import MIGRATIONS

CONFIG = Config()
CONFIG.set_main_option("script_location", str(MIGRATIONS))
REVISIONS: list[Script] = list(ScriptDirectory.from_config(CONFIG).walk_revisions())


def schema(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """Per table: its columns, check constraints and indexes (what a migration may change)."""
    found = inspect(engine)
    return {
        table: sorted(
            [("column " + c["name"], str(c["type"])) for c in found.get_columns(table)]
            + [
                ("check " + str(c["name"]), " ".join(str(c["sqltext"]).split()))
                for c in found.get_check_constraints(table)
            ]
            + [
                ("index " + str(i["name"]), str(i["column_names"]))
                for i in found.get_indexes(table)
            ]
        )
        for table in found.get_table_names()
        if table != "alembic_version"
    }


def migrate(engine: Engine, verb: str, target: str) -> None:
    with engine.begin() as connection:
        CONFIG.attributes["connection"] = connection
        getattr(command, verb)(CONFIG, target)


def parent(script: Script) -> str:
    down: Any = script.down_revision
    if down is None:
        return f"{script.revision}@base"
    return str(down)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'app.db'}"


def test_there_are_revisions_to_check() -> None:
    assert len(REVISIONS) >= 7


def test_every_revision_downgrades_and_upgrades_again(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        migrate(engine, "upgrade", "heads")
        full = schema(engine)
        for script in REVISIONS:
            migrate(engine, "downgrade", parent(script))
            reduced = schema(engine)
            assert reduced != full, f"{script.revision}: downgrade changed nothing"
            assert set(reduced) <= set(full)
            migrate(engine, "upgrade", "heads")
            assert schema(engine) == full, f"{script.revision}: upgrade after downgrade differs"
        migrate(engine, "downgrade", "base")
        assert schema(engine) == {}
    finally:
        engine.dispose()
