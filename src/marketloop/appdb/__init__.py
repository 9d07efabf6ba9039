"""The app database: runs, schedules, API keys, tickets, plan events, eval runs, audit log.

SQLAlchemy 2 + Alembic. SQLite in the workspace by default (`WORKSPACE/app.db`), PostgreSQL in
production (`MARKETLOOP_APP_DB_URL=postgresql+psycopg://user@host/db`); the same code and the
same migrations serve both.

Each stage declares its tables on `Base` in its own package and ships its migrations under
`appdb/migrations/versions/` on its own Alembic branch (`branch_labels=("plan",)`), so stages
evolve their tables independently; `open_app_db` upgrades every branch to its head.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from marketloop.errors import WorkspaceError

MIGRATIONS = Path(__file__).parent / "migrations"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def open_app_db(url: str) -> Engine:
    """An engine for `url`, migrated to the newest schema of every stage (once per process)."""
    with _lock:
        if url not in _engines:
            engine = _create_engine(url)
            try:
                upgrade(engine)
            except OperationalError as exc:
                raise WorkspaceError(
                    f"cannot open the app database {engine.url.render_as_string()}: {exc.orig}",
                    hint="check MARKETLOOP_APP_DB_URL, or that the workspace is writable",
                ) from None
            _engines[url] = engine
        return _engines[url]


def open_autocommit(url: str) -> Engine:
    """`open_app_db`'s engine (its pool) in autocommit: every statement is its own transaction,
    so one that stands alone (a read, a single-statement write) costs no BEGIN and COMMIT
    round trips. Made once per URL and process: making one registers an event listener."""
    engine = open_app_db(url)
    key = f"autocommit {url}"
    with _lock:
        if key not in _engines:
            _engines[key] = engine.execution_options(isolation_level="AUTOCOMMIT")
        return _engines[key]


def open_unflushed(url: str) -> Engine:
    """An engine for `url` whose every statement is its own transaction (autocommit) and, on
    PostgreSQL, commits without waiting for its WAL flush (`synchronous_commit = off` for its
    connections): for writes that a crash of the database server may lose without harm, and
    only those (the runner's step begin: docs/runner.md). One per URL and process, beside
    `open_app_db`'s (its own small pool); on SQLite, `open_app_db`'s engine in autocommit."""
    engine = open_app_db(url)  # migrated
    if engine.dialect.name != "postgresql":
        return open_autocommit(url)
    key = f"unflushed {url}"
    with _lock:
        if key not in _engines:
            made = create_engine(
                url,
                isolation_level="AUTOCOMMIT",
                pool_size=2,
                connect_args={"options": "-c synchronous_commit=off"},
            )
            event.listen(made, "checkin", _checked_in)
            event.listen(made, "checkout", _ping_if_idle)
            _engines[key] = made
        return _engines[key]


def session_factory(url: str) -> sessionmaker:  # type: ignore[type-arg]
    return sessionmaker(open_app_db(url), expire_on_commit=False)


def upgrade(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # pysqlite commits on its own before DDL, so a process killed in the middle of a
            # migration would leave half a schema behind ("table ... already exists" ever after).
            # Take the transaction ourselves: all of the upgrade or none of it, and two processes
            # migrating at once take turns on the write lock.
            raw.isolation_level = None  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()  # no-op after the commit; ends a failed upgrade
                raw.isolation_level = ""  # type: ignore[union-attr]  # pysqlite's default again


def dispose_all() -> None:
    """Close every pooled connection (tests, and before a process forks)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()  # an autocommit engine's is its app database engine's pool
        _engines.clear()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url)
    event.listen(engine, "checkin", _checked_in)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


#: a pooled connection idle longer than this is pinged before use (a server restart, a proxy's
#: idle timeout): SQLAlchemy's pool_pre_ping would cost a round trip on every checkout instead
IDLE_PING_SECONDS = 10.0


def _checked_in(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
    """Pessimistic disconnect handling, only for connections that sat idle: raising
    DisconnectionError makes the pool replace the connection and try again."""
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:
        raise DisconnectionError(f"stale pooled connection: {exc}") from exc


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed txn
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
