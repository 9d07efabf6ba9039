"""marketloop's dbt project as a package of a team's own dbt project: `packages.yml` with a local
path, the team's model on top of a mart, a source schema renamed through `marketloop_schemas`,
and `dbt deps` + `dbt build` by dbt's own command line on DuckDB (docs/quality.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import yaml
from tests.quality.warehouses import tiny_data

from marketloop.quality.dbt import PROJECT_DIR
from marketloop.quality.sample import load
from marketloop.quality.warehouse import Target

SCHEMAS = ("ga4", "gsc", "hubspot", "crawl", "files", "content")
DBT = Path(sys.executable).parent / "dbt"
TOP_PAGES = """
select page_key, sum(clicks) as clicks, sum(sessions) as sessions
from {{ ref('marketloop', 'page_performance') }}
group by page_key
"""


def _team_project(root: Path, warehouse: Path) -> Path:
    project = root / "team"
    (project / "models").mkdir(parents=True)
    files = {
        "dbt_project.yml": {
            "name": "team_analytics",
            "version": "1.0.0",
            "config-version": 2,
            "profile": "team",
            "model-paths": ["models"],
            "vars": {
                "marketloop_schemas": {
                    "ga4": "analytics_ga4",
                    "gsc": "gsc",
                    "hubspot": "hubspot",
                    "crawl": "crawl",
                    "files": "files",
                    "content": "content",
                },
                "marketloop_lookback_days": 0,
            },
        },
        "packages.yml": {"packages": [{"local": str(PROJECT_DIR)}]},
        "profiles.yml": {
            "team": {
                "target": "dev",
                "outputs": {
                    "dev": {"type": "duckdb", "path": str(warehouse), "schema": "analytics"}
                },
            }
        },
        "models/_team.yml": {
            "version": 2,
            "models": [
                {"name": "top_pages", "columns": [{"name": "page_key", "data_tests": ["unique"]}]}
            ],
        },
    }
    for name, content in files.items():
        (project / name).write_text(yaml.safe_dump(content), encoding="utf-8")
    (project / "models" / "top_pages.sql").write_text(TOP_PAGES, encoding="utf-8")
    return project


def _dbt(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_NO_VERSION_CHECK": "1"}
    args = [str(DBT), *command, "--project-dir", str(project), "--profiles-dir", str(project)]
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, check=False)


def test_a_team_dbt_project_builds_its_models_on_the_package(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    target = Target("duckdb", path=warehouse)
    for dataset, tables in tiny_data().items():
        schema = "analytics_ga4" if dataset == "ga4" else None  # the team names its GA4 dataset
        load(target, dataset, tables, pipelines_dir=tmp_path / "dlt", schema=schema)
    project = _team_project(tmp_path, warehouse)

    deps = _dbt(project, "deps")
    assert deps.returncode == 0, deps.stdout + deps.stderr
    built = _dbt(project, "build")
    assert built.returncode == 0, built.stdout[-3000:]
    assert " WARN=0 ERROR=0 SKIP=0 " in built.stdout

    with duckdb.connect(str(warehouse), read_only=True) as db:
        top = dict(db.sql("select page_key, clicks from analytics.top_pages").fetchall())
        tables = "select table_name from information_schema.tables where table_schema = ?"
        marts = {r[0] for r in db.execute(tables, ["analytics_marts"]).fetchall()}
    assert top == {"shop.test/": 35, "shop.test/blog/post": 4, "shop.test/pricing": 4}
    assert {"page_performance", "landing_page_leads", "query_performance"} <= marts
    assert "content_performance" not in marts  # no published briefs in a team's warehouse
