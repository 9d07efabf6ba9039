"""Where the warehouse is, and short-lived connections to it.

The warehouse is the DuckDB file `WORKSPACE/warehouse.duckdb` unless `quality.warehouse_url`
names a PostgreSQL database. DuckDB lets one process write a file at a time, so connections here
are opened for one job and closed at once (`with connect(target) as wh: ...`), and never held
while dbt runs. SQL passed to `Warehouse` uses `?` placeholders on both engines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

from marketloop.config import Settings
from marketloop.errors import ConfigError, QualityError, TransientError
from marketloop.workspace import Workspace


class WarehouseBusy(QualityError, TransientError):
    """Another process holds the DuckDB file, or PostgreSQL cannot be reached right now."""


@dataclass(frozen=True)
class Target:
    kind: Literal["duckdb", "postgres"]
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    database: str = ""
    password: str | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        """Where the warehouse is, safe to print (never the password)."""
        if self.kind == "duckdb":
            return str(self.path)
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def dlt_destination(self) -> Any:
        """The matching dlt destination (what `marketloop ingest` writes with)."""
        import dlt

        if self.kind == "duckdb":
            return dlt.destinations.duckdb(str(self.path))
        secret = quote(self.password or "", safe="")  # dlt wants one, even for trust auth
        user = quote(self.user, safe="")
        url = f"postgresql://{user}:{secret}@{self.host}:{self.port}/{self.database}"
        return dlt.destinations.postgres(credentials=url)


def target_from_settings(settings: Settings) -> Target:
    """The warehouse in force: `quality.warehouse_url`, else the workspace's DuckDB file."""
    quality = settings.quality
    password = quality.warehouse_password.get_secret_value() if quality.warehouse_password else None
    if not quality.warehouse_url:
        return Target("duckdb", path=Workspace(settings.workspace).warehouse_path.resolve())
    return parse_url(quality.warehouse_url, password)


def parse_url(url: str, password: str | None = None) -> Target:
    parts = urlsplit(url)
    if parts.scheme == "duckdb":
        path = unquote(parts.path if not parts.netloc else parts.netloc + parts.path)
        if not path:
            raise ConfigError(
                f"{url!r} names no file", hint="use duckdb:///path/to/warehouse.duckdb"
            )
        return Target("duckdb", path=Path(path).resolve())
    if parts.scheme in {"postgresql", "postgres", "postgresql+psycopg"}:
        database = parts.path.lstrip("/")
        if not parts.hostname or not database:
            raise ConfigError(
                "quality.warehouse_url needs a host and a database",
                hint="e.g. postgresql://user@127.0.0.1:5432/warehouse",
            )
        return Target(
            "postgres",
            host=parts.hostname,
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            database=database,
            password=password or (unquote(parts.password) if parts.password else None),
        )
    raise ConfigError(
        f"unsupported warehouse URL scheme {parts.scheme!r}",
        hint="use postgresql://user@host:port/db or duckdb:///path (the default)",
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
def connect(target: Target, *, read_only: bool = False) -> Iterator[Warehouse]:
    """Open the warehouse for one job; closed on leaving the block, whatever happens."""
    connection = _open_duckdb(target, read_only) if target.kind == "duckdb" else _open_pg(target)
    try:
        yield Warehouse(target, connection)
    finally:
        connection.close()


def _open_duckdb(target: Target, read_only: bool) -> Any:
    import duckdb

    assert target.path is not None
    if not target.path.is_file():
        raise QualityError(
            f"there is no warehouse at {target.path}",
            hint="load data first with `marketloop ingest ...` (or `marketloop demo`)",
        )
    try:
        connection = duckdb.connect(str(target.path), read_only=read_only)
    except duckdb.IOException as exc:
        raise WarehouseBusy(
            f"cannot open the warehouse {target.path}: {exc}",
            hint="another marketloop job is writing it; try again when it has finished",
        ) from None
    connection.execute("set TimeZone = 'UTC'")
    return connection


def _open_pg(target: Target) -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise QualityError(
            "the PostgreSQL warehouse needs psycopg", hint="pip install 'marketloop[postgres]'"
        ) from None
    try:
        return psycopg.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            dbname=target.database,
            password=target.password or None,
            connect_timeout=10,
            autocommit=True,
        )
    except psycopg.OperationalError as exc:
        raise WarehouseBusy(
            f"cannot connect to the warehouse {target.display}: {str(exc).strip()}",
            hint="check quality.warehouse_url and MARKETLOOP_QUALITY_WAREHOUSE_PASSWORD, "
            "and that the server is up",
        ) from None
