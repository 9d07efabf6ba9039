from pathlib import Path

import pytest

from marketloop.config import load_settings
from marketloop.errors import ConfigError
from marketloop.keywords.model import KeywordRecord
from marketloop.keywords.opportunity import ctr_at, normalise, raw_opportunity

CURVE = [0.30, 0.20, 0.10]


@pytest.mark.parametrize(
    ("position", "ctr"),
    [(1, 0.30), (2, 0.20), (1.5, 0.25), (3, 0.10), (3.5, 0.0), (None, 0.0), (0.5, 0.0)],
)
def test_ctr_curve_interpolates_and_is_zero_outside(position: float | None, ctr: float) -> None:
    assert ctr_at(position, CURVE) == pytest.approx(ctr)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (KeywordRecord(keyword="a", volume=1000, difficulty=20), 1000 * 0.30 / 20),  # unranked
        (KeywordRecord(keyword="a", volume=1000, difficulty=20, position=3), 1000 * 0.20 / 20),
        (KeywordRecord(keyword="a", volume=1000, position=2), 1000 * 0.10 / 50),  # default KD
        (KeywordRecord(keyword="a", volume=1000, difficulty=0), 1000 * 0.30 / 5),  # floor 5
        (KeywordRecord(keyword="a", volume=1000, difficulty=3), 1000 * 0.30 / 5),
        (KeywordRecord(keyword="a", volume=1000, difficulty=20, position=1), 0.0),  # at target
    ],
)
def test_raw_opportunity(record: KeywordRecord, expected: float) -> None:
    value = raw_opportunity(record, curve=CURVE, target=1, default_difficulty=50)
    assert value == pytest.approx(expected)


def test_normalisation_puts_the_best_at_ten() -> None:
    assert normalise([0, 5, 10], "linear") == [0.0, 5.0, 10.0]
    log = normalise([0, 10, 100, 1000], "log")
    assert log[0] == 0 and log[3] == 10
    assert log[2] == pytest.approx(6.67, abs=0.01)  # a tenth of the best
    assert log[1] == pytest.approx(3.47, abs=0.01)  # a hundredth


@pytest.mark.parametrize("scale", ["log", "linear"])
def test_normalisation_does_not_depend_on_units(scale: str) -> None:
    values = [0.02, 0.5, 3.0, 40.0]
    scaled = [v * 1000 for v in values]  # e.g. volume in thousands vs units
    assert normalise(values, scale) == normalise(scaled, scale)  # type: ignore[arg-type]


def test_a_zero_difficulty_keyword_does_not_dominate() -> None:
    easy = KeywordRecord(keyword="new tool", volume=1000, difficulty=0)
    real = KeywordRecord(keyword="crm software", volume=40_000, difficulty=60)
    raw = [raw_opportunity(r, curve=CURVE, target=1, default_difficulty=30) for r in (easy, real)]
    assert raw[1] > raw[0]  # 40,000 × 0.3 ÷ 60 = 200 vs 1,000 × 0.3 ÷ 5 = 60
    floor_one = raw_opportunity(
        easy, curve=CURVE, target=1, default_difficulty=30, min_difficulty=1
    )
    assert floor_one == pytest.approx(300)  # floored at 1 it would beat crm software
    assert normalise([0, 0]) == [0.0, 0.0]
    assert normalise([]) == []


def test_ctr_curve_and_defaults_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("marketloop.toml").write_text("[keywords]\nctr_curve = [0.5, 0.25]\ntarget_position = 1\n")
    monkeypatch.setenv("MARKETLOOP_KEYWORDS_DEFAULT_DIFFICULTY", "10")
    settings = load_settings().keywords
    assert settings.ctr_curve == [0.5, 0.25]
    assert settings.default_difficulty == 10
    record = KeywordRecord(keyword="a", volume=100, position=2)
    value = raw_opportunity(
        record,
        curve=settings.ctr_curve,
        target=settings.target_position,
        default_difficulty=settings.default_difficulty,
    )
    assert value == pytest.approx(100 * 0.25 / 10)


def test_a_ctr_above_one_is_a_config_error() -> None:
    Path("marketloop.toml").write_text("[keywords]\nctr_curve = [1.5]\n")
    with pytest.raises(ConfigError, match=r"keywords\.ctr_curve"):
        load_settings()
