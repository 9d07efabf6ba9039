"""Where the warehouse is, how dbt is pointed at it, and that secrets stay out of files."""

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
from marketloop.quality.warehouse import WarehouseBusy, connect, parse_url, target_from_settings


def test_default_warehouse_is_the_workspace_duckdb_file(tmp_path: Path) -> None:
    target = target_from_settings(quality_settings(tmp_path / "ws"))
    assert target.kind == "duckdb"
    assert target.path == (tmp_path / "ws" / "warehouse.duckdb").resolve()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://analytics@db.internal:6543/mkt", ("db.internal", 6543, "analytics", "mkt")),
        ("postgres://db/warehouse", ("db", 5432, "postgres", "warehouse")),
        ("postgresql+psycopg://u%40corp@10.0.0.5/w", ("10.0.0.5", 5432, "u@corp", "w")),
    ],
)  # fmt: skip
def test_postgres_urls(url: str, expected: tuple[str, int, str, str]) -> None:
    target = parse_url(url)
    assert (target.host, target.port, target.user, target.database) == expected


def test_duckdb_url(tmp_path: Path) -> None:
    assert parse_url(f"duckdb://{tmp_path}/w.duckdb").path == tmp_path / "w.duckdb"


@pytest.mark.parametrize("url", ["mysql://db/x", "postgresql://db", "postgresql:///x", "duckdb://"])
def test_bad_urls_say_what_to_write(url: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_url(url)
    assert raised.value.hint


def test_password_never_shows_and_never_reaches_the_profile(tmp_path: Path) -> None:
    settings = quality_settings(
        tmp_path,
        warehouse_url="postgresql://analytics:in-url@db:5432/marketing",
        warehouse_password="s3cret-pw",
    )
    target = target_from_settings(settings)
    assert target.password == "s3cret-pw"  # the setting wins over the URL
    assert "s3cret" not in repr(target) and "s3cret" not in target.display
    assert "in-url" not in target.display
    generated = profile(target, settings.quality)
    assert "s3cret" not in yaml.safe_dump(generated)
    output = generated["marketloop"]["outputs"]["postgres"]
    assert output["password"] == f"{{{{ env_var('{PASSWORD_ENV}', '') }}}}"


def test_dbt_session_hands_the_password_through_the_environment_only(tmp_path: Path) -> None:
    settings = quality_settings(tmp_path, warehouse_url="postgresql://a@db/w")
    target = parse_url("postgresql://a@db/w", password="s3cret-pw")
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
        with pytest.raises(WarehouseBusy) as raised, connect(parse_url(f"duckdb://{path}")):
            pass
        assert raised.value.transient
        assert "another marketloop job" in str(raised.value.hint)
    finally:
        holder.communicate("")


@pytest.mark.postgres
def test_unreachable_postgres_names_the_settings_to_check() -> None:
    target = parse_url("postgresql://postgres@127.0.0.1:1/nowhere")
    with pytest.raises(WarehouseBusy) as raised, connect(target):
        pass
    assert "127.0.0.1:1/nowhere" in raised.value.message
    assert "MARKETLOOP_QUALITY_WAREHOUSE_PASSWORD" in str(raised.value.hint)
