"""What a person sees when a command cannot finish: one `error:` line, a `hint:` line and the
exit status of the README's table, never a traceback."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.cli import run
from typer.core import TyperGroup
from typer.testing import CliRunner

from marketloop.errors import WorkspaceError
from marketloop.workspace import Workspace


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A workspace, complete with its folders, that nobody can create files in. Root ignores
    mode bits, so as root the folders are made immutable (chattr +i) instead of chmod 555."""
    folder = tmp_path / "read-only"
    folders = [folder, folder / "crawls", folder / "reports"]
    for each in folders:
        each.mkdir()
    for each in reversed(folders):
        _lock(each)
    try:
        yield folder
    finally:
        for each in folders:
            _unlock(each)


def _lock(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)


def _unlock(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o755)


def test_read_only_workspace_is_refused_before_any_work(read_only_dir: Path) -> None:
    with pytest.raises(WorkspaceError, match="cannot write in workspace folder") as info:
        Workspace(read_only_dir).ensure()
    assert info.value.hint == "pass --workspace DIR with a folder you can write to"


def test_read_only_workspace_on_the_command_line_exits_3_without_traceback(
    read_only_dir: Path,
) -> None:
    code, _, err = run("--workspace", str(read_only_dir), "crawl", "http://127.0.0.1:9/")
    assert code == 3
    assert err.splitlines() == [
        f"error: cannot write in workspace folder {read_only_dir}: {_refused()}",
        "hint: pass --workspace DIR with a folder you can write to",
    ]


def _refused() -> str:
    return "Operation not permitted" if os.geteuid() == 0 else "Permission denied"


def test_unwritable_out_exits_3_naming_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("")
    out = blocker / "dataset"  # a folder under a regular file: NotADirectoryError, even as root
    code, _, err = run(
        "--workspace",
        str(tmp_path / "ws"),
        "crawl",
        "http://127.0.0.1:9/",
        "--out",
        str(out),
    )
    assert code == 3
    assert err.splitlines() == [
        f"error: cannot write {out}: Not a directory",
        "hint: pass --workspace/--out with a folder you can write to",
    ]


@pytest.mark.parametrize("position", ["before", "after"])
def test_config_and_log_level_work_before_and_after_the_command(
    tmp_path: Path, position: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[crawl]\nmax_urls = 0\n")
    command = ["crawl", "http://127.0.0.1:9/", "--workspace", str(tmp_path / "ws")]
    shared = ["--config", str(bad)]
    code, _, err = run(*(shared + command if position == "before" else command + shared))
    assert code == 2
    assert err.startswith("error: invalid settings: crawl.max_urls")
    shared = ["--log-level", "loud"]
    code, _, err = run(*(shared + command if position == "before" else command + shared))
    assert code == 2
    assert err.startswith("error: invalid settings: log_level")


def test_group_summaries_are_one_line_and_flags_show_no_type(cli: CliRunner) -> None:
    from marketloop.cli import _load, app

    plan = _load("plan")
    assert isinstance(plan, TyperGroup)
    for command in plan.commands.values():
        assert command.short_help and "\n" not in command.short_help, command.name
    assert plan.commands["show"].short_help.startswith(  # type: ignore[union-attr]
        "The schedule: every day's task with baseline and forecast dates, slack and the critical "
        "path, then"
    )
    result = cli.invoke(app, ["plan", "--help"])
    assert result.exit_code == 0
    assert "<bool>" not in result.output
    assert "<bool>" not in cli.invoke(app, ["crawl", "--help"]).output


def test_a_misspelt_variable_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARKETLOOP_LOGLEVEL", "debug")
    bad = tmp_path / "bad.toml"
    bad.write_text("[crawl]\nmax_urls = 0\n")
    code, _, err = run("--config", str(bad), "crawl", "http://127.0.0.1:9/")
    assert code == 2  # the warning comes first, whatever happens next
    assert err.startswith(
        "warning: MARKETLOOP_LOGLEVEL matches no setting; did you mean MARKETLOOP_LOG_LEVEL?\n"
    )


@pytest.mark.parametrize("out", [None, "dataset"])
def test_a_start_url_without_scheme_is_a_usage_error(tmp_path: Path, out: str | None) -> None:
    args = ["--workspace", str(tmp_path / "ws"), "crawl", "example.com"]
    code, _, err = run(*args, *(["--out", str(tmp_path / out)] if out else []))
    assert code == 2
    assert err.splitlines() == [
        "error: cannot crawl: 'example.com' is not an http(s) URL",
        "hint: give a full URL, e.g. https://example.com/",
    ]


def test_resume_without_an_unfinished_crawl_prints_no_blank_line(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws")
    code, _, err = run("--workspace", workspace, "crawl", "http://127.0.0.1:9/", "--resume")
    assert code == 3
    assert err.startswith("error: no unfinished crawl of http://127.0.0.1:9/")


def test_an_ingest_error_inside_the_progress_display_starts_with_error(tmp_path: Path) -> None:
    export = tmp_path / "bad.csv"
    export.write_text('a,b\n1,2,3\n"x\n')
    workspace = str(tmp_path / "ws")
    code, _, err = run("-w", workspace, "ingest", "file", str(export), "--table", "t")
    assert code == 3
    assert err.startswith(f"error: {export}: line 2 has 3 fields")
