"""A step held by `gate: manual`, approved by a person on the run page: the dashboard's form
posts the approval (with the session's CSRF token), the step is queued and then runs; a viewer
sees no button and cannot approve."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api.test_runs import drain
from tests.web.conftest import csrf_of, log_in

from marketloop.api.app import create_app
from marketloop.config import Settings
from marketloop.runner.service import get_run, start_run, store_for


@pytest.fixture
def run_settings(make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    loop = tmp_path / "held.yaml"
    loop.write_text(
        "name: held\nsteps:\n  eval: {action: noop}\n"
        "  publish: {action: noop, needs: [eval], gate: manual}\n"
    )
    return make_settings(runner={"loops": [loop]})


@pytest.mark.usefixtures("users")
def test_a_person_approves_a_held_step_on_the_run_page(run_settings: Settings) -> None:
    from marketloop.runner.loopfile import load_loop

    run = start_run(run_settings, load_loop(run_settings.runner.loops[0]), inline=True)
    assert {s.name: s.status for s in run.steps}["publish"] == "waiting_approval"
    action = f"/runs/{run.run_id}/steps/publish/approve"
    with TestClient(create_app(run_settings), raise_server_exceptions=False) as web:
        log_in(web, "viewer")
        assert action not in web.get(f"/runs/{run.run_id}").text
        refused = web.post(action, data={"csrf_token": csrf_of(web.get("/").text)})
        assert refused.status_code == 403
        web.cookies.clear()
        log_in(web, "editor")
        page = web.get(f"/runs/{run.run_id}").text
        assert f'action="{action}"' in page
        forged = web.post(action, data={"csrf_token": "forged"}, follow_redirects=False)
        assert forged.status_code in (400, 403)
        assert get_run(run_settings, run.run_id).steps[1].status == "waiting_approval"
        done = web.post(action, data={"csrf_token": csrf_of(page)}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/runs/{run.run_id}"
        again = web.post(action, data={"csrf_token": csrf_of(page)})
        assert "not waiting_approval" in again.text  # shown on the page, not a crash
    assert store_for(run_settings).step(run.run_id, "publish").approved_by == "web:editor"
    drain(run_settings)  # the approval queued the step: run the queue's tasks here
    assert get_run(run_settings, run.run_id).status == "succeeded"
