"""A step's own log (observe/steplog.py): written while the step runs, masked, at INFO whatever
the process's level, and shown on the run page (live by htmx polling) as inert text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient
from tests.web.conftest import log_in

from marketloop.api.app import create_app
from marketloop.config import Settings
from marketloop.observe import steplog
from marketloop.observe.logging import configure_logging

HOSTILE = "<script>alert(1)</script> \"'& =SUM(1) [red]x[/red]\x1b[31m"


@pytest.fixture
def logging_on() -> Iterator[None]:
    configure_logging("warning", "console")  # as every CLI command does
    yield
    configure_logging("warning", "console")


@pytest.mark.usefixtures("logging_on")
def test_a_step_log_keeps_info_lines_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("warning", "console")  # again: to the stderr capsys holds
    log = structlog.get_logger("marketloop.test")
    log.info("before any step")
    with steplog.capture(tmp_path, "run-1", "fetch"):
        log.info("fetched", title=HOSTILE, token="sk-abcdefghijklmnop", n=3)
        log.warning("slow\nsecond line")
    log.info("after the step")
    text = steplog.tail(tmp_path, "run-1", "fetch")
    assert text is not None
    lines = text.splitlines()
    assert (
        len(lines) == 2 and " info fetched " in lines[0] and " warning slow second line" in lines[1]
    )
    assert "<script>alert(1)</script>" in lines[0] and "sk-abcdef" not in text and "***" in text
    assert "before any step" not in text and "after the step" not in text
    err = capsys.readouterr().err
    assert "fetched" not in err and "slow" in err  # the process's level still rules stderr


def test_names_that_are_not_plain_file_names_are_refused(tmp_path: Path) -> None:
    for run_id, step in [("../x", "a"), ("run-1", "a/b"), ("run-1", ".."), ("run-1", "")]:
        with pytest.raises(ValueError):
            steplog.log_path(tmp_path, run_id, step)
        assert steplog.tail(tmp_path, run_id, step) is None


def test_the_tail_is_whole_lines(tmp_path: Path) -> None:
    path = steplog.log_path(tmp_path, "run-1", "a")
    path.parent.mkdir(parents=True)
    path.write_text("".join(f"line {n}\n" for n in range(1000)), "utf-8")
    text = steplog.tail(tmp_path, "run-1", "a", limit=100)
    assert text is not None and text.startswith("line ") and text.endswith("line 999\n")
    assert len(text) <= 100


@pytest.fixture
def run_settings(make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    loop = tmp_path / "tiny.yaml"
    loop.write_text("name: tiny\nsteps:\n  warm: {action: noop, with: {seconds: 0}}\n")
    return make_settings(runner={"loops": [loop]})


@pytest.mark.usefixtures("logging_on", "users")
def test_the_run_page_shows_each_step_log_escaped(run_settings: Settings) -> None:
    from marketloop.runner.loopfile import load_loop
    from marketloop.runner.service import start_run
    from marketloop.workspace import Workspace

    run = start_run(run_settings, load_loop(run_settings.runner.loops[0]), inline=True)
    root = Workspace(run_settings.workspace).root
    written = steplog.tail(root, run.run_id, "warm")
    assert written is not None and "step started" in written and "step finished" in written
    with steplog.capture(root, run.run_id, "warm"):
        structlog.get_logger("marketloop.test").warning(HOSTILE)
    with TestClient(create_app(run_settings), raise_server_exceptions=False) as web:
        log_in(web, "viewer")
        page = web.get(f"/runs/{run.run_id}").text
        whole = web.get(f"/runs/{run.run_id}/steps/warm/log")
        missing = web.get(f"/runs/{run.run_id}/steps/nope/log")
        outside = web.get(f"/runs/{run.run_id}/steps/..%2F..%2Fmarketloop.toml/log")
    panel = page[page.index('id="log-warm"') :]
    assert "step finished" in panel and "&lt;script&gt;alert(1)&lt;/script&gt;" in panel
    assert "<script>alert" not in page and "\x1b" not in page
    assert whole.status_code == 200 and whole.headers["content-type"].startswith("text/plain")
    assert whole.headers["x-content-type-options"] == "nosniff" and HOSTILE in whole.text
    assert missing.status_code == 404 and outside.status_code == 404


@pytest.mark.usefixtures("users")
def test_a_live_run_polls_and_says_logs_will_come(run_settings: Settings) -> None:
    with TestClient(create_app(run_settings), raise_server_exceptions=False) as web:
        token = log_in(web, "editor")
        started = web.post("/runs", data={"loop": "tiny", "csrf_token": token},
                           follow_redirects=False)  # fmt: skip
        page = web.get(started.headers["location"]).text
    assert 'hx-trigger="every 1s"' in page and "the logs appear here while the steps run" in page
