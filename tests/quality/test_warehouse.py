"""Where the warehouse is ([warehouse], shared with ingest), how dbt is pointed at it, and that
secrets stay out of files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tests.quality.warehouses import quality_settings

from marketloop.errors import ConfigError, QualityError
from marketloop.quality.dbt import PASSWORD_ENV, Dbt, DbtDirs, profile
from marketloop.quality.warehouse import (
    Target,
    WarehouseBusy,
    connect,
    postgres_target,
    target_from_settings,
)


def test_default_warehouse_is_the_workspace_duckdb_file(tmp_path: Path) -> None:
    target = target_from_settings(quality_settings(tmp_path / "ws"))
    assert target.kind == "duckdb"
    assert target.path == (tmp_path / "ws" / "warehouse.duckdb").resolve()


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ("{tmp}/w.duckdb", "{tmp}/w.duckdb"),
        ("duckdb:///{tmp}/w.duckdb", "{tmp}/w.duckdb"),  # duckdb:/// + an absolute path
        ("rel/w.duckdb", "{cwd}/rel/w.duckdb"),
    ],
)  # fmt: skip
def test_a_duckdb_file_in_credentials_is_the_one_ingest_writes(
    tmp_path: Path, credentials: str, expected: str
) -> None:
    from marketloop.ingest.pipeline import destination_url

    values = {"tmp": str(tmp_path), "cwd": str(Path.cwd())}
    warehouse = {"destination": "duckdb", "credentials": credentials.format(**values)}
    settings = quality_settings(tmp_path / "ws", warehouse)
    target = target_from_settings(settings)
    assert target.path == Path(expected.format(**values)).resolve()
    assert destination_url(settings) == str(target.path)


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ("postgresql://u:pw@db/w", "is a connection string, but the destination is duckdb"),
        (":memory:", "names no DuckDB file"),
        ("duckdb://", "names no DuckDB file"),
    ],
)
def test_duckdb_credentials_that_name_no_file(
    tmp_path: Path, credentials: str, message: str
) -> None:
    warehouse = {"destination": "duckdb", "credentials": credentials}
    with pytest.raises(ConfigError, match=message) as raised:
        target_from_settings(quality_settings(tmp_path, warehouse))
    assert raised.value.hint and "pw" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://analytics@db.internal:6543/mkt", ("db.internal", 6543, "analytics", "mkt")),
        ("postgres://db/warehouse", ("db", 5432, "postgres", "warehouse")),
        ("postgresql+psycopg://u%40corp@10.0.0.5/w", ("10.0.0.5", 5432, "u@corp", "w")),
    ],
)  # fmt: skip
def test_postgres_urls(tmp_path: Path, url: str, expected: tuple[str, int, str, str]) -> None:
    settings = quality_settings(tmp_path, {"destination": "postgres", "credentials": url})
    target = target_from_settings(settings)
    assert (target.host, target.port, target.user, target.database) == expected


def test_postgres_password_and_ssl_options_come_from_the_connection_string() -> None:
    target = postgres_target("postgresql://a@db/w?password=p%2Fw&sslmode=require")
    assert (target.password, target.options) == ("p/w", (("sslmode", "require"),))
    output = profile(target, quality_settings(Path("ws")).quality)["marketloop"]["outputs"]
    assert output["postgres"]["sslmode"] == "require"
    assert "p/w" not in yaml.safe_dump(output)


@pytest.mark.parametrize(
    "url",
    ["mysql://db/x", "postgresql://db", "postgresql:///x", "nonsense", "postgresql://db/x?foo=1"],
)
def test_bad_urls_say_what_to_write(url: str) -> None:
    with pytest.raises(ConfigError) as raised:
        postgres_target(url)
    assert raised.value.hint


def test_postgres_without_credentials_names_where_to_set_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"warehouse\.credentials is not set") as raised:
        target_from_settings(quality_settings(tmp_path, {"destination": "postgres"}))
    assert "MARKETLOOP_WAREHOUSE_CREDENTIALS" in str(raised.value.hint)


def test_other_destinations_need_their_dbt_adapter(tmp_path: Path) -> None:
    settings = quality_settings(tmp_path, {"destination": "bigquery"})
    with pytest.raises(ConfigError, match="needs the dbt adapter bigquery") as raised:
        target_from_settings(settings)  # dbt-bigquery is not installed here
    assert "pip install dbt-bigquery" in str(raised.value.hint)


def test_password_never_shows_and_never_reaches_the_profile(tmp_path: Path) -> None:
    url = "postgresql://analytics:s3cret-pw@db:5432/marketing"
    settings = quality_settings(tmp_path, {"destination": "postgres", "credentials": url})
    target = target_from_settings(settings)
    assert target.password == "s3cret-pw"
    assert "s3cret" not in repr(target) and "s3cret" not in target.display
    generated = profile(target, settings.quality)
    assert "s3cret" not in yaml.safe_dump(generated)
    output = generated["marketloop"]["outputs"]["postgres"]
    assert output["password"] == f"{{{{ env_var('{PASSWORD_ENV}', '') }}}}"


def test_dbt_session_hands_the_password_through_the_environment_only(tmp_path: Path) -> None:
    settings = quality_settings(tmp_path)
    target = postgres_target("postgresql://a:s3cret-pw@db/w")
    dbt = Dbt(target, settings.quality, DbtDirs(tmp_path / "dbt"))
    with dbt.session():
        assert dbt._profiles_dir is not None
        profile_file = dbt._profiles_dir / "profiles.yml"
        assert "s3cret" not in profile_file.read_text()
        assert os.environ[PASSWORD_ENV] == "s3cret-pw"
    assert PASSWORD_ENV not in os.environ
    assert not profile_file.exists()
    assert (tmp_path / "dbt" / "target").is_dir() and (tmp_path / "dbt" / "logs").is_dir()


def test_missing_warehouse_file_says_to_ingest_first(tmp_path: Path) -> None:
    target = target_from_settings(quality_settings(tmp_path / "ws"))
    with pytest.raises(QualityError, match="no warehouse at") as raised, connect(target):
        pass
    assert "marketloop ingest" in str(raised.value.hint)


def test_a_warehouse_locked_by_another_process_is_a_transient_error(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True);"
         " sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseBusy) as raised, connect(Target("duckdb", path=path)):
            pass
        assert raised.value.transient
        assert "another marketloop job" in str(raised.value.hint)
    finally:
        holder.communicate("")


@pytest.mark.postgres
def test_unreachable_postgres_names_the_settings_to_check() -> None:
    target = postgres_target("postgresql://postgres@127.0.0.1:1/nowhere")
    with pytest.raises(WarehouseBusy) as raised, connect(target):
        pass
    assert "127.0.0.1:1/nowhere" in raised.value.message
    assert "MARKETLOOP_WAREHOUSE_CREDENTIALS" in str(raised.value.hint)
