"""Readers of the DuckDB warehouse (the API, the dashboard) against a real writer process: the
readers are never broken by it, never see half a write, and never keep it out."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from marketloop.quality.readcopy import read_copy, refresh, warehouse_lock
from marketloop.quality.warehouse import Target, connect

BATCH, BATCHES = 100, 30

# a writer as the runner's writing steps are: under the lock, one batch per open, the read copy
# refreshed before the lock goes; it holds the file open a while in every batch
WRITER = textwrap.dedent(
    f"""
    import sys, time, duckdb
    from pathlib import Path
    from marketloop.quality.readcopy import refresh, warehouse_lock
    path = Path(sys.argv[1])
    for i in range({BATCHES}):
        with warehouse_lock(path):
            con = duckdb.connect(str(path))
            con.execute("begin")
            con.execute("insert into t select range from range({BATCH})")
            time.sleep(0.03)
            con.execute("commit")
            con.close()
            refresh(path)
        time.sleep(0.005)
    print("done", flush=True)
    """
)


def _seed(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create table t (x bigint)")


def test_readers_see_whole_writes_while_a_writer_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _seed(path)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    seen: list[int] = []
    try:
        while writer.poll() is None:
            with connect(Target("duckdb", path=path), snapshot=True) as wh:
                seen.append(int(wh.rows("select count(*) as n from t")[0]["n"]))
    finally:
        out, _ = writer.communicate(timeout=60)
    assert writer.returncode == 0 and "done" in out  # no reader kept the writer out
    assert all(n % BATCH == 0 for n in seen)  # never half a write
    assert seen == sorted(seen) and len(set(seen)) > 2  # the writes arrive, in order
    with connect(Target("duckdb", path=path), snapshot=True) as wh:
        assert wh.rows("select count(*) as n from t")[0]["n"] == BATCH * BATCHES


def test_a_writer_outside_the_lock_leaves_readers_the_last_copy(tmp_path: Path) -> None:
    """A person's `marketloop ingest` beside the service takes no lock and keeps the file
    open: readers read the previous copy instead of failing, and catch up afterwards."""
    path = tmp_path / "warehouse.duckdb"
    _seed(path)
    with warehouse_lock(path):
        assert refresh(path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys; c = duckdb.connect({str(path)!r});"
         " c.execute('insert into t values (1)'); print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        time.sleep(0.01)  # the file's time moves on
        with connect(Target("duckdb", path=path), snapshot=True) as wh:
            assert wh.rows("select count(*) as n from t")[0]["n"] == 0
    finally:
        holder.communicate("")
    with connect(Target("duckdb", path=path), snapshot=True) as wh:
        assert wh.rows("select count(*) as n from t")[0]["n"] == 1
    assert read_copy(path).is_file()


def test_a_reader_never_refreshes_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _seed(path)
    with warehouse_lock(path):
        with connect(Target("duckdb", path=path), snapshot=True) as wh:
            assert wh.rows("select count(*) as n from t")[0]["n"] == 0
        assert not read_copy(path).exists()  # no copy made under a writer: the file was read
        with warehouse_lock(path, wait=False) as held:
            assert not held
