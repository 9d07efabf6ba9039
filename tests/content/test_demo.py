import json
from pathlib import Path

from marketloop.config import load_settings
from marketloop.content.brief import Brief
from marketloop.content.demo import content_step
from marketloop.demo import STEPS, DemoRun
from marketloop.workspace import Workspace

from .conftest import crm_cluster


def test_demo_step_writes_briefs_drafts_and_the_eval_report(tmp_path: Path) -> None:
    settings = load_settings(overrides={"workspace": tmp_path / "ws"})
    run = DemoRun(settings, Workspace(settings.workspace).ensure())
    clusters = tmp_path / "clusters.json"
    clusters.write_text(json.dumps([crm_cluster().model_dump()]))
    run.outputs["clusters"] = clusters  # what the keyword step leaves
    serps = tmp_path / "serps.csv"
    serps.write_text("keyword,position,url\nCRM software,1,https://a.test/crm\n", "utf-8")
    run.outputs["serps"] = serps
    content_step(run)
    briefs = run.outputs["briefs"]
    assert Brief.model_validate_json((briefs / "crm-software.json").read_text()).model
    assert (briefs / "crm-software.md").read_text().startswith("# ")
    offline = run.outputs["briefs-offline"] / "crm-software.json"
    assert Brief.model_validate_json(offline.read_text()).sources == ["https://a.test/crm"]
    report = run.outputs["eval report"].read_text()
    assert "brief@v2+draft@v2" in report and "<svg" in report
    assert any(name.startswith("create") for name, _ in STEPS)
