"""The demo's ticket step: the latest crawl's audit into a fake Jira, twice, nothing duplicated."""

from __future__ import annotations

import json
from pathlib import Path

from tests.audit.builder import Site

from marketloop.config import Settings
from marketloop.demo import DemoRun
from marketloop.integrations.tickets_demo import tickets_step
from marketloop.workspace import Workspace


def test_the_demo_step_syncs_the_audit_and_says_where(tmp_path: Path) -> None:
    settings = Settings(workspace=tmp_path / "ws")
    workspace = Workspace(settings.workspace).ensure()
    slow = {"page": {"url": "/pricing", "response_time_ms": 1500.0}}
    Site.clean().apply([slow]).write(workspace.crawls_dir / "example.com-1")
    run = DemoRun(settings, workspace)
    with run.resources:
        tickets_step(run)
    stored = json.loads(run.outputs["Jira tickets (fake)"].read_text())
    assert [issue["key"] for issue in stored] == ["SEO-1"]
    assert stored[0]["properties"]["marketloop.ticket"]["check"] == "slow_response"
