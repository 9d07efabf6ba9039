"""`marketloop backup` / `restore`: restore into a fresh workspace and compare; the warehouse is
copied under its writers' lock; a tampered or partial backup is refused."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from marketloop.config import Settings, load_settings
from marketloop.errors import UsageError
from marketloop.observe.backup import BackupError, backup, restore
from marketloop.quality.readcopy import warehouse_lock
from marketloop.runner import service
from marketloop.runner.loopfile import parse_loop
from marketloop.workspace import Workspace

HOSTILE = '=HYPERLINK("x") <script>\'&'


def seeded(tmp_path: Path, name: str, db_url: str | None = None) -> Settings:
    values: dict[str, object] = {"workspace": tmp_path / name}
    if db_url:
        values["app_db_url"] = db_url
    settings = load_settings(None, values)
    ws = Workspace(settings.workspace).ensure()
    loop = parse_loop(
        "name: t\nsteps:\n  a: {action: noop}\n  b: {action: noop, needs: [a]}\n", "t.yaml"
    )
    service.start_run(settings, loop, inline=True)
    con = duckdb.connect(str(ws.warehouse_path))
    con.execute(
        "create table pages as select * from (values (1, ?), (2, 'b')) t(id, title)", [HOSTILE]
    )
    con.close()
    crawl = ws.crawls_dir / "example.com-20250101T000000Z"
    crawl.mkdir(parents=True)
    (crawl / "manifest.json").write_text('{"pages": 2}')
    (crawl / "pages.jsonl").write_text(f'{{"title": "{HOSTILE}"}}\n')
    for cache in ("url-index", ".url-index-tmp1"):  # the URL index, built or being built
        (crawl / cache / "pages").mkdir(parents=True)
        (crawl / cache / "pages" / "b.parquet").write_bytes(b"x" * 1000)
    return settings


def history(settings: Settings) -> list[tuple[str, str, list[str]]]:
    page = service.list_runs(settings)
    return [(r.loop, r.status, [s.status for s in r.steps]) for r in page.data]


def compare(source: Settings, target: Settings) -> None:
    assert history(target) == history(source) and history(source)
    rows = (
        duckdb.connect(str(Workspace(target.workspace).warehouse_path))
        .execute("select id, title from pages order by id")
        .fetchall()
    )
    assert rows == [(1, HOSTILE), (2, "b")]
    crawl = "crawls/example.com-20250101T000000Z/pages.jsonl"
    assert (target.workspace / crawl).read_text() == (source.workspace / crawl).read_text()
    assert _logs(target) == _logs(source) and _logs(source)  # the step logs, byte for byte
    restored = target.workspace / "crawls/example.com-20250101T000000Z"
    assert not (restored / "url-index").exists()  # a cache: rebuilt by the first page detail
    assert not (restored / ".url-index-tmp1").exists()


def _logs(settings: Settings) -> dict[str, bytes]:
    root = Path(settings.workspace) / "logs"
    return {str(f.relative_to(root)): f.read_bytes() for f in root.rglob("*.log")}


def test_restore_into_a_fresh_workspace_gives_the_same_data(tmp_path: Path) -> None:
    source = seeded(tmp_path, "ws")
    parts = backup(source, tmp_path / "backup")
    assert parts == ["app.db", "crawls/example.com-20250101T000000Z", "logs", "warehouse.duckdb"]
    target = load_settings(None, {"workspace": tmp_path / "restored"})
    restore(target, tmp_path / "backup")
    compare(source, target)
    with pytest.raises(UsageError, match="new"):
        restore(target, tmp_path / "backup")  # never over existing data
    logs_only = load_settings(None, {"workspace": tmp_path / "logs-only"})
    (Path(logs_only.workspace) / "logs" / "r-old").mkdir(parents=True)
    (Path(logs_only.workspace) / "logs" / "r-old" / "a.log").write_text("mine\n")
    with pytest.raises(UsageError, match="holds step logs"):
        restore(logs_only, tmp_path / "backup")  # nor over another workspace's logs
    with pytest.raises(UsageError, match="not empty"):
        backup(source, tmp_path / "backup")


def test_the_warehouse_is_copied_only_between_writes(tmp_path: Path) -> None:
    source = seeded(tmp_path, "ws")
    released = threading.Event()

    def writer() -> None:
        with warehouse_lock(source.workspace / "warehouse.duckdb"):
            time.sleep(0.5)
            released.set()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.1)
    backup(source, tmp_path / "backup")
    assert released.is_set()  # the copy waited for the writer to finish
    thread.join()


def test_a_tampered_backup_is_refused(tmp_path: Path) -> None:
    source = seeded(tmp_path, "ws")
    backup(source, tmp_path / "backup")
    (tmp_path / "backup" / "crawls" / "example.com-20250101T000000Z" / "pages.jsonl").write_text(
        "x"
    )
    target = load_settings(None, {"workspace": tmp_path / "restored"})
    with pytest.raises(BackupError, match="checksum"):
        restore(target, tmp_path / "backup")
    assert not (tmp_path / "restored" / "app.db").exists()
    with pytest.raises(UsageError, match="not a marketloop backup"):
        restore(target, tmp_path)


@pytest.mark.postgres
def test_postgresql_app_database_round_trips(tmp_path: Path, postgres_url: str) -> None:
    import uuid

    import psycopg

    source = seeded(tmp_path, "ws", postgres_url)
    backup(source, tmp_path / "backup")
    assert (tmp_path / "backup" / "app.pgdump").is_file()
    name = f"marketloop_test_{uuid.uuid4().hex[:12]}"
    from tests.conftest import PG_ADMIN_URL as admin

    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        target_url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
        target = load_settings(None, {"workspace": tmp_path / "restored", "app_db_url": target_url})
        restore(target, tmp_path / "backup")
        compare(source, target)
    finally:
        from sqlalchemy import create_engine

        create_engine(target_url).dispose()
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize(
    "index",
    ['{"parts": {"../../etc/passwd": {"sha256": "x"}}}', "not json <script>", '{"parts": []}',
     '{"parts": {"app.db": "x"}}', '\u0000'],
)  # fmt: skip
def test_a_hostile_index_is_refused(tmp_path: Path, index: str) -> None:
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "backup.json").write_text(index)
    target = load_settings(None, {"workspace": tmp_path / "restored"})
    with pytest.raises(UsageError, match="not a marketloop backup"):
        restore(target, folder)


def test_backup_into_a_file_is_refused(tmp_path: Path) -> None:
    source = load_settings(None, {"workspace": tmp_path / "ws"})
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not empty"):
        backup(source, tmp_path / "file")
