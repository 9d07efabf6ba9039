"""docs/runbooks/: every block marked `sh runnable` runs and exits 0 (in a fresh workspace,
from the repository root), the generated escalation ladder is current, and every alert's
runbook_url points to a section that exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from marketloop.observe.ladder import escalation_md

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = ROOT / "docs" / "runbooks"
BLOCK = re.compile(r"^```sh runnable\n(.*?)^```", re.M | re.S)


def blocks() -> list[tuple[str, str]]:
    found = []
    for path in sorted(RUNBOOKS.glob("*.md")):
        for n, match in enumerate(BLOCK.finditer(path.read_text()), 1):
            found.append((f"{path.name}#{n}", match.group(1)))
    return found


def test_every_runbook_exists_and_has_runnable_commands() -> None:
    names = {p.name for p in RUNBOOKS.glob("*.md")}
    assert {"operations.md", "support.md", "rollback.md", "escalation.md",
            "release-checklist.md"} <= names  # fmt: skip
    assert len(blocks()) >= 6


@pytest.mark.parametrize(("where", "script"), blocks(), ids=[b[0] for b in blocks()])
def test_runnable_block_succeeds(where: str, script: str, tmp_path: Path) -> None:
    for tool in ("promtool", "amtool"):
        if tool in script and shutil.which(tool) is None:
            pytest.fail(
                f"{tool} is not installed (apt-get install prometheus prometheus-alertmanager)"
            )
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "MARKETLOOP_WORKSPACE": str(tmp_path / "ws"),
        "RUNBOOK_TMP": str(tmp_path),
        "NO_COLOR": "1",
    }
    env.pop("MARKETLOOP_APP_DB_URL", None)
    env.pop("MARKETLOOP_CONFIG", None)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{where}:\n{script}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


def test_the_escalation_ladder_is_generated_from_the_plan() -> None:
    assert (RUNBOOKS / "escalation.md").read_text() == escalation_md()
    assert "Taylor Brooks" in escalation_md()


def anchors(text: str) -> set[str]:
    heads = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-") for h in heads}


def test_every_alert_links_an_existing_runbook_section() -> None:
    groups = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules.yml").read_text())["groups"]
    for rule in (r for g in groups for r in g["rules"] if "alert" in r):
        page, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        text = (ROOT / page).read_text()
        assert anchor in anchors(text), f"{rule['alert']}: {page}#{anchor}"
