"""`marketloop users create|list|disable` through the real entry point."""

from __future__ import annotations

import io

import pytest
from tests.test_cli_errors import run_main

from marketloop.appdb import open_app_db
from marketloop.config import app_db_url, load_settings
from marketloop.web.users import list_users
from marketloop.workspace import Workspace


def test_create_list_disable(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = ("--workspace", str(workspace.root))
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-secret\n"))
    code, err = run_main(capsys, *ws, "users", "create", "ana", "--role", "editor",
                         "--password-stdin")  # fmt: skip
    assert code == 0, err
    code, _ = run_main(capsys, *ws, "users", "list", "--format", "json")
    assert code == 0
    code, err = run_main(capsys, *ws, "users", "disable", "ana")
    assert code == 0, err
    users = list_users(
        open_app_db(app_db_url(load_settings(overrides={"workspace": workspace.root})))
    )
    assert [(u.name, u.role, u.disabled_at is not None) for u in users] == [("ana", "editor", True)]
    code, err = run_main(capsys, *ws, "users", "disable", "ana")
    assert code == 2 and "already disabled" in err


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "create", "bo", "--role", "root", "--password-stdin"], "x" * 12, "unknown role"),
        (["users", "create", "bo", "--password-stdin"], "short", "at least 10"),
        (["users", "create", "<script>", "--password-stdin"], "x" * 12, "is not allowed"),
        (["users", "disable", "nobody"], "", "no user"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    args: list[str], stdin: str, message: str,
) -> None:  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin + "\n"))
    code, err = run_main(capsys, "--workspace", str(workspace.root), *args)
    assert code == 2 and message in err
    assert "Traceback" not in err
