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


def test_an_upgrade_stopped_half_way_leaves_no_half_schema_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pysqlite commits before DDL unless told otherwise: an upgrade killed after some of its
    migrations left tables without their alembic_version row, and every later open failed with
    "table ... already exists". The whole upgrade is one transaction now."""
    from alembic import command

    from marketloop import appdb

    real = command.upgrade

    def upgrade_then_die(config, revision):  # type: ignore[no-untyped-def]
        real(config, revision)  # every migration ran on this connection...
        raise KeyboardInterrupt  # ...then the process is stopped before the commit

    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setattr(appdb.command, "upgrade", upgrade_then_die)
    with pytest.raises(KeyboardInterrupt):
        open_app_db(url)
    monkeypatch.setattr(appdb.command, "upgrade", real)
    dispose_all()
    engine = appdb._create_engine(url)
    assert inspect(engine).get_table_names() == []  # nothing of the stopped upgrade remains
    engine.dispose()
    assert "runner_runs" in inspect(open_app_db(url)).get_table_names()  # and it can start over
    dispose_all()


@pytest.mark.postgres
def test_a_pooled_connection_the_server_dropped_is_replaced_after_idling(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ping on every checkout (a round trip per transaction): a connection that sat idle
    is pinged, and one the server dropped meanwhile is replaced instead of failing the query."""
    import psycopg

    import marketloop.appdb as appdb

    engine = open_app_db(postgres_url)
    with engine.connect() as conn:
        pid = conn.execute(text("select pg_backend_pid()")).scalar_one()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(%s)", (pid,))
    monkeypatch.setattr(appdb, "IDLE_PING_SECONDS", 0.0)  # it has idled long enough
    with engine.connect() as conn:
        assert conn.execute(text("select pg_backend_pid()")).scalar_one() != pid
