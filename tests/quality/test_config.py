"""[quality] settings: per-source freshness thresholds merge over the defaults; the warehouse
settings that moved to [warehouse] stop start-up with where they went."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketloop.config import load_settings
from marketloop.errors import ConfigError


def test_defaults_cover_every_source() -> None:
    freshness = load_settings().quality.freshness
    assert set(freshness) == {"ga4", "gsc", "hubspot", "crawl", "files"}
    assert freshness["crawl"].load_warn_hours == 192
    assert freshness["ga4"].data_error_days == 7
    assert freshness["files"].load_warn_hours == 720  # `ingest file`: load freshness only


def test_one_field_overrides_keep_the_source_defaults() -> None:
    settings = load_settings(
        overrides={"quality": {"freshness": {"hubspot": {"data_warn_days": 30}}}}
    )
    hubspot = settings.quality.freshness["hubspot"]
    assert (hubspot.data_warn_days, hubspot.data_error_days) == (30, 60)
    assert settings.quality.freshness["gsc"].data_warn_days == 4


def test_thresholds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETLOOP_QUALITY_FRESHNESS", '{"ga4": {"load_warn_hours": 2}}')
    monkeypatch.setenv("MARKETLOOP_QUALITY_ANOMALY_Z", "2.5")
    quality = load_settings().quality
    assert quality.freshness["ga4"].load_warn_hours == 2
    assert quality.anomaly_z == 2.5


@pytest.mark.parametrize(
    ("freshness", "message"),
    [
        ({"hubspt": {"data_warn_days": 3}}, "unknown sources hubspt"),
        ({"ga4": {"data_warn_days": 9}}, "data_error_days must be at least data_warn_days"),
        ({"gsc": {"load_warn_hours": 0}}, "greater than or equal to 1"),
    ],
)
def test_bad_thresholds_are_config_errors(freshness: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(overrides={"quality": {"freshness": freshness}})


@pytest.mark.parametrize("old", ["warehouse_url", "warehouse_password"])
def test_the_old_warehouse_settings_say_where_they_moved(tmp_path: Path, old: str) -> None:
    config = tmp_path / "marketloop.toml"
    config.write_text(f'[quality]\n{old} = "postgresql://a:pw@db/w"\n')
    with pytest.raises(ConfigError, match=rf"quality\.{old} moved to warehouse\.") as raised:
        load_settings(config)
    assert "MARKETLOOP_WAREHOUSE_CREDENTIALS" in raised.value.message
    assert "under [warehouse]" in raised.value.message


def test_the_old_warehouse_url_in_the_environment_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETLOOP_QUALITY_WAREHOUSE_URL", "postgresql://a@db/w")
    with pytest.raises(ConfigError, match=r"moved to warehouse\.destination and warehouse\.cred"):
        load_settings()
