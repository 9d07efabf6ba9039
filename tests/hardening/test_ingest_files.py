"""Defects 3 and 4 of issue 14 (ingest): a failed file load leaves the previous table exactly
as it was; binary files, duplicate columns and undecodable rows are refused in one clean line
(no `Exception ignored ... Traceback`, no binary garbage echoed); out-of-range dates name the
accepted range."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.hostile import CONTROL, run

from marketloop.ingest import files

GOOD = "keyword,volume\nseo audit,1900\nlead scoring,880\n"


def snapshot(ws: Path) -> list[tuple[object, ...]]:
    """Every column and row of files.kw, _dlt ids included: 'exactly as it was'."""
    with duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True) as con:
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'files' AND table_name = 'kw' ORDER BY ordinal_position"
        ).fetchall()
        rows = con.execute("SELECT * FROM files.kw ORDER BY ALL").fetchall()
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'files' "
            "ORDER BY table_name"
        ).fetchall()
    return [*columns, *rows, *tables]


def load(path: Path, ws: Path) -> tuple[int, str]:
    outcome = run("ingest", "file", str(path), "--table", "kw", "-w", str(ws))
    return outcome.code, outcome.stderr


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[Path, list[tuple[object, ...]]]:
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    ws = tmp_path / "ws"
    assert load(good, ws)[0] == 0
    return ws, snapshot(ws)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a,a\n1,2\n", "columns 'a' and 'a' both become column 'a'"),
        (b"Name,name\nx,y\n", "both become column 'name'"),
        (bytes(range(256)) * 40, "is a binary file"),
        (b"keyword,volume\nx,1\n\xff\xfe,1,2\n", "a malformed line is not UTF-8 text"),
        (b'keyword,volume\n"a\x1b[2J",1,2\n', "line 2 has 3 fields"),
    ],
)
def test_a_refused_file_leaves_the_previous_table_exactly_as_it_was(
    loaded: tuple[Path, list[tuple[object, ...]]], tmp_path: Path, content: bytes, message: str
) -> None:
    ws, before = loaded
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    code, err = load(bad, ws)
    assert code == 3 and message in err, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert "\x1b" not in err and "\ufffd" not in err  # no control characters or garbage
    assert len([line for line in err.splitlines() if line.strip()]) == 2  # error and hint
    assert snapshot(ws) == before


def test_a_failure_in_the_load_step_puts_the_previous_table_back(
    loaded: tuple[Path, list[tuple[object, ...]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the up-front column check, `a,a` fails in dlt's load step, after dlt dropped the
    table: the kept copy is what brings it back."""
    ws, before = loaded
    monkeypatch.setattr(files, "unique_columns", lambda path, names: None)
    bad = tmp_path / "dup.csv"
    bad.write_text("a,a\n1,2\n")
    code, err = load(bad, ws)
    assert code == 3 and "files.kw is as it was before this run" in err, err
    assert snapshot(ws) == before


def test_utf16_with_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(GOOD.encode("utf-16"))
    ws = tmp_path / "ws"
    assert load(path, ws)[0] == 0
    assert ("seo audit", 1900) in [row[-4:-2] for row in snapshot(ws) if len(row) == 4]


@pytest.mark.parametrize("name", ["bomb.json", "bomb.jsonl"])
def test_deeply_nested_json_and_binary_jsonl_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("[" * 100_000 + "]" * 100_000)
    code, err = load(path, tmp_path / "ws")
    assert code == 3 and "deep" in err and "Traceback" not in err
    path.write_bytes(b'{"a": "\xff\xfe"}\n')
    code, err = load(path, tmp_path / "ws")
    assert code == 3 and "UTF-8" in err


def test_printable_cuts_and_hides_control_characters() -> None:
    assert files.printable(CONTROL + "x" * 500).count("?") >= 2
    assert len(files.printable("x" * 500)) == 121


@pytest.mark.parametrize(
    "args",
    [
        ["gsc", "--site", "sc-domain:example.com", "--start", "99999999999daysAgo"],
        ["gsc", "--site", "sc-domain:example.com", "--start", "800000daysAgo"],
        ["ga4", "--property", "123", "--start", "9999-12-31"],
        ["ga4", "--property", "123", "--end", "0001-01-01"],
    ],
)
def test_windows_outside_the_range_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    outcome = run("ingest", *args, "-w", str(tmp_path / "ws"))
    assert outcome.code == 2
    assert "outside the days a source can be read for" in outcome.stderr
    assert "from 2005-01-01 to today" in outcome.stderr
