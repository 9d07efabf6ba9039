import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from marketloop.config import load_settings, require_secret, unknown_env_variables
from marketloop.errors import ConfigError


def test_defaults_when_nothing_is_set() -> None:
    settings = load_settings()
    assert settings.workspace == Path(".marketloop")
    assert settings.crawl.obey_robots is True


def test_layers_toml_then_env_then_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("marketloop.toml").write_text(
        'workspace = "from-toml"\n[crawl]\nmax_urls = 10\nconcurrency = 3\ntimeout = 7.5\n'
    )
    monkeypatch.setenv("MARKETLOOP_CRAWL_MAX_URLS", "20")
    monkeypatch.setenv("MARKETLOOP_CRAWL_CONCURRENCY", "4")
    settings = load_settings(overrides={"crawl": {"concurrency": 5, "user_agent": None}})
    assert settings.workspace == Path("from-toml")  # toml beats the default
    assert settings.crawl.timeout == 7.5  # toml, untouched by higher layers
    assert settings.crawl.max_urls == 20  # env beats toml
    assert settings.crawl.concurrency == 5  # flag beats env
    assert settings.crawl.user_agent.startswith("marketloop/")  # an unset flag hides nothing


def test_explicit_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "other.toml"
    config.write_text("[crawl]\nmax_depth = 2\n")
    assert load_settings(config).crawl.max_depth == 2
    monkeypatch.setenv("MARKETLOOP_CONFIG", str(config))
    assert load_settings().crawl.max_depth == 2


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[crawl]\nmax_urls = 0\n", "crawl.max_urls"),
        ("[crawl]\nexclude = ['(']\n", "invalid regex"),
        ("[crawl]\nno_such_setting = 1\n", "crawl.no_such_setting"),
        ("[crawl\n", "cannot read marketloop.toml: Expected ']'"),
    ],
)
def test_bad_settings_name_the_setting(toml: str, expected: str) -> None:
    Path("marketloop.toml").write_text(toml)
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(")):
        load_settings()


def test_a_malformed_config_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[crawl\n")
    with pytest.raises(ConfigError, match=f"^cannot read {bad}: Expected") as info:
        load_settings(bad)
    assert info.value.hint == f"fix {bad}"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "MARKETLOOP_CRAWL_EXCLUDE",
            "/tag/",
            """MARKETLOOP_CRAWL_EXCLUDE: lists take JSON, e.g. '["/tag/"]'""",
        ),
        ("MARKETLOOP_CRAWL", "max_urls=3", "MARKETLOOP_CRAWL: tables take JSON"),
        # a secret setting's value is never echoed in the example
        (
            "MARKETLOOP_CRAWL_HEADERS",
            '{"X-Preview": s3cret-TOKEN-value',
            """MARKETLOOP_CRAWL_HEADERS: tables take JSON, e.g. '{"key": "..."}'""",
        ),
        ("MARKETLOOP_CRAWL", '{"cookies": {"sid": s3cret-TOKEN-value', 'e.g. \'{"key": "..."}\''),
    ],
)
def test_an_env_value_that_is_not_json_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.message.startswith(expected) or expected in info.value.message
    assert "marketloop.toml" not in str(info.value)
    assert "s3cret-TOKEN-value" not in str(info.value)


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_a_missing_file_named_by_marketloop_config_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MARKETLOOP_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match=r"nope\.toml does not exist") as info:
        load_settings()
    assert info.value.hint == "check MARKETLOOP_CONFIG"


def test_require_secret_names_every_place_looked() -> None:
    with pytest.raises(ConfigError) as info:
        require_secret(SecretStr("changeme"), section="hubspot", field="token")
    assert "MARKETLOOP_HUBSPOT_TOKEN" in str(info.value)
    assert "[hubspot]" in str(info.value)
    assert require_secret(SecretStr("pat-na1-123"), section="hubspot", field="token") == (
        "pat-na1-123"
    )


def test_variables_that_set_nothing_are_reported_with_the_likely_name() -> None:
    environ = {
        "MARKETLOOP_LOGLEVEL": "debug",
        "MARKETLOOP_CRAWLS_MAX_URLS": "5",
        "MARKETLOOP_WORKSPACE_DIR": "/tmp/ws",
        "MARKETLOOP_LOG_LEVEL": "info",
        "PATH": "/usr/bin",
    }
    assert unknown_env_variables(environ) == [
        "MARKETLOOP_CRAWLS_MAX_URLS matches no setting; did you mean MARKETLOOP_CRAWL_MAX_URLS?",
        "MARKETLOOP_LOGLEVEL matches no setting; did you mean MARKETLOOP_LOG_LEVEL?",
        "MARKETLOOP_WORKSPACE_DIR matches no setting; did you mean MARKETLOOP_WORKSPACE?",
    ]


def test_no_variable_the_docs_name_is_reported() -> None:
    root = Path(__file__).resolve().parents[1]
    texts = [
        (root / "README.md").read_text(),
        *(p.read_text() for p in (root / "docs").glob("*.md")),
    ]
    named = {m for text in texts for m in re.findall(r"MARKETLOOP_[A-Z0-9_]*[A-Z0-9]", text)}
    assert len(named) > 20
    assert unknown_env_variables(dict.fromkeys(named, "x")) == []
