"""`marketloop users create|list|disable` through the real entry point."""

from __future__ import annotations

import pytest
from tests.support.cli import run

from marketloop.appdb import open_app_db
from marketloop.config import app_db_url, load_settings
from marketloop.web.users import list_users
from marketloop.workspace import Workspace


def test_create_list_disable(
    workspace: Workspace,
) -> None:
    ws = ("--workspace", str(workspace.root))
    code, _, err = run(*ws, "users", "create", "ana", "--role", "editor", "--password-stdin",
                       stdin="long-enough-secret\n")  # fmt: skip
    assert code == 0, err
    code, _, _ = run(*ws, "users", "list", "--format", "json")
    assert code == 0
    code, _, err = run(*ws, "users", "disable", "ana")
    assert code == 0, err
    users = list_users(
        open_app_db(app_db_url(load_settings(overrides={"workspace": workspace.root})))
    )
    assert [(u.name, u.role, u.disabled_at is not None) for u in users] == [("ana", "editor", True)]
    code, _, err = run(*ws, "users", "disable", "ana")
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
    workspace: Workspace,
    args: list[str], stdin: str, message: str,
) -> None:  # fmt: skip
    code, _, err = run("--workspace", str(workspace.root), *args, stdin=stdin + "\n")
    assert code == 2 and message in err
    assert "Traceback" not in err
