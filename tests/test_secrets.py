"""Secret settings never reach an error message, a log line or a world-readable file, whatever
their shape: the values themselves are registered when the settings load and masked everywhere."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import httpx
import pytest

from marketloop.config import load_settings
from marketloop.errors import IngestError
from marketloop.observe.logging import configure_logging, get_logger, mask_secrets

HUBSPOT_TOKEN = "hs0UNPREFIXED0token0value42"  # no known prefix: only its registration masks it
NOTION_TOKEN = "plainNotionTok3nWithoutPrefix"
DB_PASSWORD = "db-pass-w0rd-42"


@pytest.fixture
def secrets_loaded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARKETLOOP_HUBSPOT_TOKEN", HUBSPOT_TOKEN)
    monkeypatch.setenv("MARKETLOOP_NOTION_TOKEN", NOTION_TOKEN)
    monkeypatch.setenv("MARKETLOOP_APP_DB_URL", f"postgresql://ml:{DB_PASSWORD}@127.0.0.1/ml")
    load_settings(None, {"workspace": tmp_path / "ws"})


@pytest.mark.usefixtures("secrets_loaded")
def test_every_secret_setting_is_masked_once_the_settings_load() -> None:
    text = f"echo: {HUBSPOT_TOKEN} / {NOTION_TOKEN} / password {DB_PASSWORD}"
    assert mask_secrets(text) == "echo: *** / *** / password ***"


def test_google_access_tokens_are_masked_by_their_shape() -> None:
    assert mask_secrets("token ya29.a0AfH6SMBx-Yz_12 expired") == "token ya29.*** expired"


@pytest.mark.usefixtures("secrets_loaded")
def test_the_log_masks_registered_values(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    get_logger("test").info("answer", body=f"you sent {HUBSPOT_TOKEN}")
    assert HUBSPOT_TOKEN not in capsys.readouterr().err


@pytest.mark.usefixtures("secrets_loaded")
def test_the_cli_masks_secrets_in_error_messages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import marketloop.cli

    def failing_app() -> None:
        raise IngestError(f"HubSpot said: bad token {HUBSPOT_TOKEN}", hint=f"not {NOTION_TOKEN}")

    monkeypatch.setattr(marketloop.cli, "app", failing_app)
    monkeypatch.setattr(sys, "argv", ["marketloop"])
    with pytest.raises(SystemExit):
        marketloop.cli.main()
    err = capsys.readouterr().err
    assert err.splitlines() == ["error: HubSpot said: bad token ***", "hint: not ***"]


@pytest.mark.usefixtures("secrets_loaded")
def test_a_notion_error_that_echoes_the_request_is_masked() -> None:
    from marketloop.integrations.notion import describe

    body = {"code": "unauthorized", "message": f"API token is invalid: Bearer {NOTION_TOKEN}"}
    error = describe(httpx.Response(401, json=body), "POST", "/v1/pages")
    assert NOTION_TOKEN not in error.message
    body = {"code": "unauthorized", "message": f"unknown token {NOTION_TOKEN}"}
    error = describe(httpx.Response(401, json=body), "POST", "/v1/pages")
    assert error.message.endswith("unknown token ***")


def test_dlt_working_files_are_private_to_the_owner(tmp_path: Path) -> None:
    from marketloop.ingest.pipeline import pipeline_for

    settings = load_settings(None, {"workspace": tmp_path / "ws"})
    pipeline_for(settings, "files")
    mode = stat.S_IMODE((tmp_path / "ws" / "dlt").stat().st_mode)
    assert mode == 0o700
