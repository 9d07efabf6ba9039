from datetime import UTC, datetime
from pathlib import Path

import pytest

from marketloop.errors import WorkspaceError
from marketloop.workspace import Workspace, write_atomic


def test_layout(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws").ensure()
    assert ws.crawls_dir.is_dir() and ws.reports_dir.is_dir()
    assert ws.warehouse_path == tmp_path / "ws" / "warehouse.duckdb"
    assert ws.app_db_path == tmp_path / "ws" / "app.db"


def test_new_crawl_dir_is_named_by_host_and_time(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    when = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    assert ws.new_crawl_dir("xn--bcher-kva.example", when).name == (
        "xn--bcher-kva.example-20261126T050000Z"
    )
    assert ws.new_crawl_dir("a:b/c", when).name.startswith("a-b-c-")


def test_latest_crawl_without_crawls_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no crawl dataset") as info:
        Workspace(tmp_path).ensure().latest_crawl()
    assert "marketloop crawl" in (info.value.hint or "")


def test_unwritable_workspace(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(WorkspaceError, match="cannot create workspace"):
        Workspace(blocker / "ws").ensure()


def test_write_atomic_replaces_the_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "a.json"
    assert write_atomic(path, "one\n") == path
    write_atomic(path, "twö\n")
    assert path.read_text(encoding="utf-8") == "twö\n"
    assert [p.name for p in path.parent.iterdir()] == ["a.json"]


def test_threads_of_one_process_check_the_workspace_at_once(tmp_path: Path) -> None:
    """The write probe was named by process id only: two steps of one worker checking the
    workspace at once removed each other's probe ("cannot write in workspace folder")."""
    from concurrent.futures import ThreadPoolExecutor

    def check(_: int) -> None:
        for _ in range(200):
            Workspace(tmp_path / "ws").ensure()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(check, range(8)))  # raises the first WorkspaceError a thread met
    assert not list((tmp_path / "ws").glob(".write-probe-*"))
