"""deploy/ ships in the wheel, so `marketloop stack` works from an installed package: the
wheel is built with the project's own backend (hatchling, in-process, offline), unpacked into
a folder as an installer would, and a fresh interpreter that imports marketloop from there
finds deploy/ beside the package (never in a source checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hatchling.builders.wheel import WheelBuilder

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [
    "prometheus/prometheus.yml",
    "prometheus/rules.yml",
    "prometheus/tests.yml",
    "alertmanager/alertmanager.yml",
    "alloy/config.alloy",
    "compose.yaml",
    "env.example",
]
FIND = """
from marketloop.observe import stack
print(stack.DEPLOY)
print((stack.DEPLOY / "prometheus" / "rules.yml").is_file())
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = list(WheelBuilder(str(ROOT)).build(directory=str(out), versions=["standard"]))
    assert len(built) == 1
    return Path(built[0])


def test_the_wheel_carries_deploy_and_no_local_secrets(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    prefix = "marketloop/observe/deploy/"
    for name in SHIPPED:
        assert prefix + name in names, name
    dashboards = {n for n in names if n.startswith(prefix + "grafana/dashboards/")}
    assert len(dashboards) == 4
    assert not [
        n for n in names if n.startswith(prefix) and ("secrets/" in n or n.endswith(".env"))
    ]


def test_an_installed_package_finds_deploy(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", FIND],
        cwd=elsewhere,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found, exists = done.stdout.split()
    assert Path(found) == site / "marketloop" / "observe" / "deploy"
    assert exists == "True"
