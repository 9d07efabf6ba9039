from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from marketloop.appdb import dispose_all, open_app_db
from marketloop.config import app_db_url, load_settings
from marketloop.errors import WorkspaceError


@pytest.fixture(autouse=True)
def _fresh_engines() -> None:
    dispose_all()


def test_default_is_sqlite_in_the_workspace(tmp_path: Path) -> None:
    settings = load_settings(overrides={"workspace": tmp_path / "ws"})
    url = app_db_url(settings)
    assert url == f"sqlite:///{(tmp_path / 'ws' / 'app.db').resolve()}"
    engine = open_app_db(url)
    assert "alembic_version" in inspect(engine).get_table_names()
    assert open_app_db(url) is engine  # migrated once per process


@pytest.mark.postgres
def test_same_migrations_on_postgres(postgres_url: str) -> None:
    engine = open_app_db(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        assert connection.execute(text("select 1")).scalar() == 1
    assert "alembic_version" in inspect(engine).get_table_names()


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(WorkspaceError, match="cannot open the app database"):
        open_app_db("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
