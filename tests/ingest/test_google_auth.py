"""Google credentials: the service-account JWT exchange, key-file problems, access tokens."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from marketloop.config import load_settings
from marketloop.errors import ConfigError, CredentialError
from marketloop.fakes.google_token import GoogleTokens
from marketloop.ingest.google_auth import ServiceAccountKey, google_auth, signed_assertion

from .conftest import Google


def _segment(token: str, index: int) -> dict[str, object]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_the_assertion_is_an_rs256_jwt_for_the_token_uri(google: Google) -> None:
    key = ServiceAccountKey.read(google.key_file)
    token = signed_assertion(key, "scope-a", google.token_url, now=1_700_000_000)
    assert _segment(token, 0) == {"alg": "RS256", "typ": "JWT", "kid": key.private_key_id}
    assert _segment(token, 1) == {
        "iss": key.client_email,
        "scope": "scope-a",
        "aud": google.token_url,
        "iat": 1_700_000_000,
        "exp": 1_700_003_600,
    }


def test_the_key_is_exchanged_at_its_token_uri_and_the_token_sent(google: Google) -> None:
    settings = load_settings(overrides={"google": {"credentials_file": str(google.key_file)}})
    auth = google_auth(settings, "gsc")
    exchanges = google.tokens.exchanges
    header = auth.header()
    assert header.startswith("Bearer ya29.")
    assert auth.header() == header  # cached until it expires
    assert google.tokens.exchanges == exchanges + 1
    scope = google.tokens.issued[header.removeprefix("Bearer ")][1]
    assert scope == "https://www.googleapis.com/auth/webmasters.readonly"


@pytest.mark.parametrize(
    ("email", "answer"),
    [
        (None, "Invalid JWT Signature."),  # the same account, a revoked key
        ("stranger@elsewhere.iam.gserviceaccount.com", "Invalid grant: account not found"),
    ],
)
def test_a_key_the_endpoint_refuses_is_a_credential_error(
    google: Google, tmp_path: Path, email: str | None, answer: str
) -> None:
    other = GoogleTokens().create_service_account(
        tmp_path / "other.json", google.token_url, **({"email": email} if email else {})
    )
    settings = load_settings(overrides={"google": {"credentials_file": str(other)}})
    with pytest.raises(CredentialError) as info:
        google_auth(settings, "ga4").header()
    assert f"(HTTP 400: invalid_grant: {answer})" in info.value.message
    assert str(other) in info.value.message
    assert "MARKETLOOP_GOOGLE_CREDENTIALS_FILE" in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the service-account key"),
        ("{not json", "is not JSON"),
        ('{"type": "authorized_user"}', "is not a service-account key"),
        ('{"type": "service_account", "client_email": "a@b"}', "lacks private_key"),
        ('{"type": "service_account", "client_email": "a@b", "private_key": "nope"}', "unreadable"),
    ],
)
def test_a_broken_key_file_is_a_config_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "key.json"
    if content is not None:
        path.write_text(content)
    settings = load_settings(overrides={"google": {"credentials_file": str(path)}})
    with pytest.raises(ConfigError, match=message):
        google_auth(settings, "ga4")


def test_an_access_token_from_the_environment_is_sent_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MARKETLOOP_GOOGLE_ACCESS_TOKEN", "ya29.given")
    auth = google_auth(load_settings(), "ga4")
    assert auth.header() == "Bearer ya29.given"
    assert not auth.refresh()
    assert "MARKETLOOP_GOOGLE_ACCESS_TOKEN" in auth.credential.origin


def test_no_google_credentials_names_both_ways_to_give_them() -> None:
    with pytest.raises(ConfigError) as info:
        google_auth(load_settings(), "ga4")
    assert "MARKETLOOP_GOOGLE_CREDENTIALS_FILE" in str(info.value)
    assert "MARKETLOOP_GOOGLE_ACCESS_TOKEN" in str(info.value)


def test_the_token_uri_setting_overrides_the_keys(google: Google, tmp_path: Path) -> None:
    info = json.loads(google.key_file.read_text())
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps({**info, "token_uri": "http://127.0.0.1:9/token"}))
    settings = load_settings(
        overrides={"google": {"credentials_file": str(moved), "token_uri": google.token_url}}
    )
    assert google_auth(settings, "ga4").header().startswith("Bearer ya29.")
