"""The audit step of `marketloop demo`."""

from __future__ import annotations

import pytest

from marketloop.audit.demo import audit_step
from marketloop.config import Settings
from marketloop.demo import STEPS, DemoRun, load_step
from marketloop.workspace import Workspace

from .conftest import MakeDataset


def test_the_step_audits_the_demo_crawl_and_writes_the_report(
    make_dataset: MakeDataset, workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    run = DemoRun(Settings(workspace=workspace.root), workspace)
    run.outputs["crawl dataset"] = make_dataset([{"page": {"url": "/blog", "h1": []}}])
    audit_step(run)
    report = run.outputs["audit report"]
    assert report == workspace.reports_dir / "audit.html"
    assert "missing_h1" in report.read_text()
    assert "Top tickets" in capsys.readouterr().err
    assert ("audit", "marketloop.audit.demo:audit_step") in STEPS
    assert load_step("marketloop.audit.demo:audit_step") is audit_step


def test_without_a_demo_crawl_the_latest_workspace_crawl_is_audited(
    make_dataset: MakeDataset, workspace: Workspace
) -> None:
    run = DemoRun(Settings(workspace=workspace.root), workspace)
    audit_step(run)  # no crawl at all: the step says so and skips
    assert "audit report" not in run.outputs
    make_dataset(name="site").rename(workspace.crawls_dir / "site")
    audit_step(run)
    assert run.outputs["audit report"].is_file()
