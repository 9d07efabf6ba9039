"""Warehouses that marketloop reaches through dbt only (any dlt destination but duckdb and
postgres): the dbt adapter that matches the `[warehouse] destination` must be installed, and the
team writes the dbt profile (`[quality] profiles_dir`: a folder whose profiles.yml has a
`marketloop` profile of that adapter's type). marketloop generates no profile for them and
opens no connection of its own: `quality run` takes the inventory through a dbt macro and keeps
no history there (quality/external.py).

Untested here (no such warehouse on the test machines): BigQuery, Snowflake, Databricks,
Redshift. Tested: the same path with DuckDB as the adapter (destination `motherduck`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from marketloop.errors import ConfigError
from marketloop.quality.warehouse import Target

#: dlt destination -> dbt adapter (the `type` of its profile, the `dbt-<name>` package)
ADAPTERS = {
    "bigquery": "bigquery",
    "snowflake": "snowflake",
    "databricks": "databricks",
    "redshift": "redshift",
    "motherduck": "duckdb",
    "athena": "athena",
    "mssql": "sqlserver",
    "synapse": "synapse",
    "clickhouse": "clickhouse",
}
PROFILE = "marketloop"


def dbt_only_target(destination: str, profiles_dir: Path | None) -> Target:
    adapter = ADAPTERS.get(destination)
    if adapter is None:
        raise ConfigError(
            f"quality has no dbt adapter for the {destination!r} destination",
            hint=f"it runs on duckdb, postgres and {', '.join(ADAPTERS)}",
        )
    if importlib.util.find_spec(f"dbt.adapters.{adapter}") is None:
        raise ConfigError(
            f"a {destination} warehouse needs the dbt adapter {adapter}, which is not installed",
            hint=f"pip install dbt-{adapter} (the same dbt-core 1.x as marketloop's)",
        )
    if profiles_dir is None:
        raise ConfigError(
            f"a {destination} warehouse needs a dbt profile: set [quality] profiles_dir",
            hint=f"a folder whose profiles.yml has a `{PROFILE}` profile of type {adapter} "
            "(docs/quality.md#other-warehouses)",
        )
    target = _profile_target(Path(profiles_dir).expanduser(), adapter)
    return Target("dbt", adapter=adapter, profiles_dir=Path(profiles_dir), profile_target=target)


def _profile_target(folder: Path, adapter: str) -> str:
    path = folder / "profiles.yml"
    try:
        profiles = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    profile = profiles.get(PROFILE) if isinstance(profiles, dict) else None
    if not isinstance(profile, dict) or not isinstance(profile.get("outputs"), dict):
        raise ConfigError(f"{path} has no `{PROFILE}` profile with outputs")
    name = str(profile.get("target", "default"))
    output = profile["outputs"].get(name)
    kind = output.get("type") if isinstance(output, dict) else None
    if kind != adapter:
        raise ConfigError(
            f"the `{PROFILE}` profile's target {name!r} in {path} is of type {kind!r}, "
            f"but the warehouse destination needs {adapter!r}",
            hint="point [quality] profiles_dir at the profile of the warehouse ingest loads",
        )
    return name
