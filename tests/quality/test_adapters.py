"""A warehouse marketloop reaches through dbt only: the adapter that matches the destination,
the team's own `marketloop` profile, the inventory through a dbt macro, no history. Exercised
with DuckDB as the adapter (destination `motherduck`); BigQuery, Snowflake, Databricks and
Redshift take the same path, untested here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tests.quality.warehouses import isolated, load_data, quality_settings, tiny_data
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.errors import ConfigError, QualityError
from marketloop.quality.outcomes import decaying_pages
from marketloop.quality.warehouse import Target, connect, target_from_settings


def _profiles(folder: Path, output: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    profile = {"marketloop": {"target": "prod", "outputs": {"prod": output}}}
    (folder / "profiles.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return folder


def test_a_dbt_only_warehouse_is_checked_through_the_teams_profile(
    tmp_path: Path, cli: CliRunner
) -> None:
    file = tmp_path / "md.duckdb"
    load_data(Target("duckdb", path=file), tmp_path / "dlt", {"ga4": tiny_data()["ga4"]})
    profiles = _profiles(
        tmp_path / "dbt", {"type": "duckdb", "path": str(file), "schema": "marketloop"}
    )
    ws = tmp_path / "ws"
    env = {"MARKETLOOP_WAREHOUSE_DESTINATION": "motherduck",
           "MARKETLOOP_QUALITY_PROFILES_DIR": str(profiles)}  # fmt: skip
    result = cli.invoke(app, ["quality", "run", "-w", str(ws), "-f", "json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["warehouse"] == "duckdb warehouse (dbt profile marketloop: prod)"
    assert {s["source"] for s in report["sources"] if s["present"]} == {"ga4"}
    assert "stg_ga4__pages" in {m["name"] for m in report["models"]}
    assert "stg_gsc__search_analytics" not in {m["name"] for m in report["models"]}
    assert any("checked through dbt" in note for note in report["notes"])
    assert report["volumes"] == [] and report["history"]["runs"][0]["run_id"] == report["run_id"]
    again = cli.invoke(app, ["quality", "report", "-w", str(ws), "-f", "json"], env=env)
    assert json.loads(again.stdout)["run_id"] == report["run_id"]
    with isolated(tmp_path):
        settings = quality_settings(ws, {"destination": "motherduck"}, profiles_dir=profiles)
        target = target_from_settings(settings)
        with pytest.raises(QualityError, match="reached through dbt"):
            connect(target).__enter__()
        assert decaying_pages(settings) == []  # readers read nothing, not an error


@pytest.mark.parametrize(
    ("destination", "profile", "message"),
    [
        ("filesystem", None, "no dbt adapter for the 'filesystem' destination"),
        ("motherduck", None, "needs a dbt profile: set [quality] profiles_dir"),
        ("motherduck", {"type": "postgres"}, "is of type 'postgres'"),
    ],
)
def test_a_dbt_only_warehouse_is_refused_with_what_to_do(
    tmp_path: Path, destination: str, profile: dict[str, str] | None, message: str
) -> None:
    profiles = _profiles(tmp_path / "dbt", profile) if profile else None
    settings = quality_settings(tmp_path, {"destination": destination}, profiles_dir=profiles)
    with pytest.raises(ConfigError) as raised:
        target_from_settings(settings)
    assert message in raised.value.message
