"""Where the warehouse is, and short-lived connections to it.

The warehouse is the one `marketloop ingest` loads, named by `[warehouse]` (ingest/config.py):

    destination = "duckdb"     the file in `credentials`, else WORKSPACE/warehouse.duckdb
    destination = "postgres"   the database in the `credentials` connection string
    anything else              reached through dbt only: the matching dbt adapter and a profile
                               the team writes (quality/adapters.py); no direct connection

DuckDB lets one process write a file at a time, so connections here are opened for one job and
closed at once (`with connect(target) as wh: ...`), and never held while dbt runs. Every reader
that is not a writer's own step (the API, the dashboard, and the stage readers: impact's
analytics, keywords' Search Console data, content performance) reads with `snapshot=True`: the
read copy of readcopy.py, never the file a step is writing. In one worker process a reader that
opened the file itself would be refused outright while a writer thread holds it (DuckDB allows
one configuration per file per process). SQL passed to `Warehouse` uses `?` placeholders on both
engines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

from marketloop.config import Settings, require_secret
from marketloop.errors import ConfigError, QualityError, TransientError
from marketloop.workspace import DAMAGED_DUCKDB, DAMAGED_HINT, Workspace

#: the destinations whose warehouse quality (and keywords) can read
READABLE = ("duckdb", "postgres")
#: connection-string parameters passed on to psycopg and to the dbt profile
PG_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey")
PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")


class WarehouseBusy(QualityError, TransientError):
    """Another process holds the DuckDB file, or PostgreSQL cannot be reached right now."""


@dataclass(frozen=True)
class Target:
    kind: Literal["duckdb", "postgres", "dbt"]
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    database: str = ""
    password: str | None = field(default=None, repr=False)
    options: tuple[tuple[str, str], ...] = ()  # sslmode and friends (PG_OPTIONS)
    # kind "dbt": a warehouse only dbt reaches, through the team's `marketloop` profile
    adapter: str = ""
    profiles_dir: Path | None = None
    profile_target: str = ""

    @property
    def display(self) -> str:
        """Where the warehouse is, safe to print (never the password)."""
        if self.kind == "duckdb":
            return str(self.path)
        if self.kind == "dbt":
            return f"{self.adapter} warehouse (dbt profile marketloop: {self.profile_target})"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def dlt_destination(self) -> Any:
        """The matching dlt destination (what `marketloop ingest` writes with)."""
        import dlt

        if self.kind == "duckdb":
            return dlt.destinations.duckdb(str(self.path))
        secret = quote(self.password or "", safe="")  # dlt wants one, even for trust auth
        user = quote(self.user, safe="")
        url = f"postgresql://{user}:{secret}@{self.host}:{self.port}/{self.database}"
        if self.options:
            url += "?" + urlencode(self.options)
        return dlt.destinations.postgres(credentials=url)


def target_from_settings(settings: Settings) -> Target:
    """The warehouse `[warehouse]` names: the DuckDB file ingest writes, or the PostgreSQL
    database of its connection string."""
    warehouse = settings.warehouse
    if warehouse.destination == "duckdb":
        return Target("duckdb", path=warehouse.duckdb_file(Workspace(settings.workspace)))
    if warehouse.destination == "postgres":
        url = require_secret(warehouse.credentials, section="warehouse", field="credentials")
        return postgres_target(url)
    from marketloop.quality.adapters import dbt_only_target

    return dbt_only_target(warehouse.destination, settings.quality.profiles_dir)


def postgres_target(url: str) -> Target:
    """A PostgreSQL connection string (the one dlt loads with) as a target; its password is kept
    on the target only, never in `display`, a file or a log."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    example = "e.g. postgresql://user:password@db.internal:5432/warehouse"
    try:
        parts = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "warehouse.credentials is not a connection string", hint=example
        ) from None
    if parts.drivername not in PG_SCHEMES:
        raise ConfigError(
            f"warehouse.credentials is a {parts.drivername}:// connection string, "
            "but the destination is postgres",
            hint=example,
        )
    if not parts.host or not parts.database:
        raise ConfigError("warehouse.credentials needs a host and a database", hint=example)
    query = {key: str(value) for key, value in parts.query.items()}
    password = parts.password or query.pop("password", None)
    unknown = sorted(set(query) - set(PG_OPTIONS))
    if unknown:
        raise ConfigError(
            f"quality cannot pass the connection parameter(s) {', '.join(unknown)} on to dbt",
            hint=f"it passes {', '.join(PG_OPTIONS)}; drop the others from warehouse.credentials",
        )
    return Target(
        "postgres",
        host=parts.host,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        database=parts.database,
        password=str(password) if password else None,
        options=tuple(sorted(query.items())),
    )


class Warehouse:
    """One open connection: `rows` reads, `execute`/`executemany` write, `transaction` groups."""

    def __init__(self, target: Target, connection: Any) -> None:
        self.target = target
        self._conn = connection
        self._postgres = target.kind == "postgres"

    def _sql(self, sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s") if self._postgres else sql

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._conn.execute(self._sql(sql), params)
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self._postgres:
            with self._conn.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)
        else:
            self._conn.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._postgres:
            with self._conn.transaction():
                yield
            return
        self._conn.begin()
        try:
            yield
        except BaseException:
            self._conn.rollback()
            raise
        self._conn.commit()


@contextmanager
def connect(
    target: Target, *, read_only: bool = False, snapshot: bool = False
) -> Iterator[Warehouse]:
    """Open the warehouse for one job; closed on leaving the block, whatever happens.
    `snapshot` (every reader but a writer's own step): read-only, and a DuckDB warehouse is read
    from its read copy (readcopy.py): the state after the last finished write, which no writer
    can break and which keeps no writer out."""
    if target.kind == "dbt":
        raise QualityError(
            f"marketloop opens DuckDB and PostgreSQL warehouses only; the {target.display} is "
            "reached through dbt",
            hint="`quality run` and `quality docs` work through dbt there; readers of the marts "
            "(reports, briefs performance) need destination duckdb or postgres",
        )
    if target.kind == "duckdb":
        connection = _open_duckdb(target, read_only or snapshot, snapshot)
    else:
        connection = _open_pg(target)
    try:
        yield Warehouse(target, connection)
    finally:
        connection.close()


def _open_duckdb(target: Target, read_only: bool, snapshot: bool = False) -> Any:
    import duckdb

    from marketloop.quality.readcopy import for_reading

    assert target.path is not None
    if not target.path.is_file():
        raise QualityError(
            f"there is no warehouse at {target.path}",
            hint="load data first with `marketloop ingest ...` (or `marketloop demo`)",
        )
    path = for_reading(target.path) if snapshot else target.path
    try:
        connection = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if DAMAGED_DUCKDB in str(exc):
            raise QualityError(
                f"cannot open the warehouse {target.path}", hint=DAMAGED_HINT
            ) from None
        raise WarehouseBusy(
            f"cannot open the warehouse {target.path}: {exc}",
            hint="another marketloop job is writing it; try again when it has finished",
        ) from None
    connection.execute("set TimeZone = 'UTC'")
    return connection


def _open_pg(target: Target) -> Any:
    try:
        import psycopg
        from psycopg.conninfo import make_conninfo
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise QualityError(
            "the PostgreSQL warehouse needs psycopg", hint="pip install 'marketloop[postgres]'"
        ) from None
    conninfo = make_conninfo(
        host=target.host,
        port=target.port,
        user=target.user,
        dbname=target.database,
        password=target.password or None,
        connect_timeout=10,
        **dict(target.options),
    )
    try:
        return psycopg.connect(conninfo, autocommit=True)
    except psycopg.OperationalError as exc:
        raise WarehouseBusy(
            f"cannot connect to the warehouse {target.display}: {str(exc).strip()}",
            hint="check [warehouse] credentials (MARKETLOOP_WAREHOUSE_CREDENTIALS), "
            "and that the server is up",
        ) from None
