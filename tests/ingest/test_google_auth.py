"""Google credentials through google-auth, refreshed against the fake token and IAM endpoints:
key files, authorized users, Application Default Credentials, impersonation, access tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketloop.config import Settings, load_settings
from marketloop.errors import ConfigError, CredentialError
from marketloop.fakes.google_token import GoogleTokens
from marketloop.ingest.google_auth import SCOPES, google_auth
from marketloop.ingest.jobs import ingest_ga4, ingest_gsc
from marketloop.workspace import Workspace

from .conftest import PROPERTY, SITE, TODAY, Fakes, Google, make_settings

TARGET = "ga4-reader@marketloop-demo.iam.gserviceaccount.com"
USER = "ada@example.com"


def _issued(google: Google, header: str) -> tuple[str, str]:
    """(scope, principal) of the token in an Authorization header, as the fake issued it."""
    token = header.removeprefix("Bearer ")
    return google.tokens.issued[token][1], google.tokens.principals[token]


def test_the_key_is_exchanged_by_google_auth_at_its_token_uri(google: Google) -> None:
    settings = load_settings(overrides={"google": {"credentials_file": str(google.key_file)}})
    auth = google_auth(settings, "gsc")
    exchanges = google.tokens.exchanges
    header = auth.header()
    assert header.startswith("Bearer ya29.")
    assert auth.header() == header  # cached until it expires
    assert google.tokens.exchanges == exchanges + 1
    assert _issued(google, header)[0] == SCOPES["gsc"]
    assert auth.refresh() and auth.header() != header  # a 401 gets a fresh one
    assert str(google.key_file) in auth.credential.label


@pytest.mark.parametrize(
    ("email", "answer"),
    [
        (None, "Invalid JWT Signature."),  # the same account, a revoked key
        ("stranger@elsewhere.iam.gserviceaccount.com", "Invalid grant: account not found"),
    ],
)
def test_a_key_the_endpoint_refuses_names_the_key_and_the_answer(
    google: Google, tmp_path: Path, email: str | None, answer: str
) -> None:
    other = GoogleTokens().create_service_account(
        tmp_path / "other.json", google.token_url, **({"email": email} if email else {})
    )
    settings = load_settings(overrides={"google": {"credentials_file": str(other)}})
    with pytest.raises(CredentialError) as info:
        google_auth(settings, "ga4").header()
    assert "invalid_grant" in info.value.message and answer in info.value.message
    assert f"service-account key {other}" in info.value.message
    assert "MARKETLOOP_GOOGLE_CREDENTIALS_FILE" in str(info.value)
    assert "-----BEGIN" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read .*No such file"),
        ("{not json", "is not JSON"),
        ('{"type": "magic"}', "has type 'magic'; expected one of"),
        ('{"type": "authorized_user"}', "missing fields"),
        ('{"type": "service_account", "client_email": "a@b"}', "missing fields"),
        (
            '{"type": "service_account", "client_email": "a@b", "private_key": "<script>"}',
            "unusable",
        ),
    ],
)
def test_a_broken_credentials_file_is_a_config_error_naming_it(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "key.json"
    if content is not None:
        path.write_text(content)
    settings = load_settings(overrides={"google": {"credentials_file": str(path)}})
    with pytest.raises(ConfigError, match=message) as info:
        google_auth(settings, "ga4")
    assert str(path) in info.value.message


def test_an_access_token_from_the_environment_is_sent_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MARKETLOOP_GOOGLE_ACCESS_TOKEN", "ya29.given")
    auth = google_auth(load_settings(), "ga4")
    assert auth.header() == "Bearer ya29.given"
    assert not auth.refresh()
    assert "MARKETLOOP_GOOGLE_ACCESS_TOKEN" in auth.credential.origin


def test_no_google_credentials_names_every_way_to_give_them() -> None:
    with pytest.raises(ConfigError) as info:
        google_auth(load_settings(), "ga4")
    text = str(info.value)
    assert "Application Default Credentials found none" in text
    for way in (
        "MARKETLOOP_GOOGLE_CREDENTIALS_FILE",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "MARKETLOOP_GOOGLE_ACCESS_TOKEN",
        f"gcloud auth application-default login --scopes={SCOPES['ga4']}",
    ):
        assert way in text


def test_the_token_uri_setting_overrides_the_keys(google: Google, tmp_path: Path) -> None:
    info = json.loads(google.key_file.read_text())
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps({**info, "token_uri": "http://127.0.0.1:9/token"}))
    settings = load_settings(
        overrides={"google": {"credentials_file": str(moved), "token_uri": google.token_url}}
    )
    assert google_auth(settings, "ga4").header().startswith("Bearer ya29.")


def _to_fake(google: Google) -> Settings:
    """No credentials configured: ADC, with Google's token endpoint moved to the fake."""
    return load_settings(overrides={"google": {"token_uri": google.token_url}})


def _adc(settings: Settings, google: Google, **more: str) -> Settings:
    """`settings` without a credentials file (so ADC), token endpoint at the fake."""
    update = {"credentials_file": None, "token_uri": google.token_url, **more}
    return settings.model_copy(update={"google": settings.google.model_copy(update=update)})


def _gcloud_login(
    google: Google, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **kw: str
) -> Path:
    """What `gcloud auth application-default login` leaves behind, in an own CLOUDSDK_CONFIG."""
    folder = tmp_path / "gcloud"
    folder.mkdir()
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(folder))
    adc = folder / "application_default_credentials.json"
    return google.tokens.create_authorized_user(adc, USER, **kw)


def test_application_default_credentials_of_a_gcloud_login_are_used(
    google: Google, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _gcloud_login(google, monkeypatch, tmp_path)
    auth = google_auth(_to_fake(google), "ga4")
    scope, principal = _issued(google, auth.header())
    assert SCOPES["ga4"] in scope.split() and principal == USER  # what the login granted
    assert auth.credential.label == (
        "authorized-user credentials from Application Default Credentials"
    )


def test_a_login_without_the_sources_scope_says_which_scope_is_missing(
    workspace: Workspace,
    fakes: Fakes,
    google: Google,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _gcloud_login(google, monkeypatch, tmp_path, scopes=SCOPES["ga4"])
    settings = _adc(make_settings(workspace, fakes, google), google)
    with pytest.raises(CredentialError) as info:
        ingest_gsc(settings, SITE, today=TODAY)
    assert "insufficient authentication scopes" in info.value.message
    assert "authorized-user credentials from Application Default Credentials" in info.value.message
    assert f"--scopes={SCOPES['gsc']}" in str(info.value.hint)


def test_google_application_credentials_names_a_key_file(
    google: Google, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(google.key_file))
    auth = google_auth(load_settings(), "gsc")
    scope, principal = _issued(google, auth.header())
    assert scope == SCOPES["gsc"] and principal.endswith(".iam.gserviceaccount.com")


def test_impersonation_loads_ga4_as_the_target_account(
    workspace: Workspace,
    fakes: Fakes,
    google: Google,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """No key file anywhere: a gcloud login impersonates the service account GA4 trusts."""
    _gcloud_login(google, monkeypatch, tmp_path)
    google.tokens.grant_token_creator(TARGET, to=USER)
    settings = make_settings(workspace, fakes, google, ga4={"initial_days": 2})
    settings = _adc(settings, google, impersonate=TARGET, iam_endpoint=google.iam_url)
    auth = google_auth(settings, "ga4")
    assert _issued(google, auth.header()) == (SCOPES["ga4"], TARGET)
    assert TARGET in auth.credential.label and "authorized-user" in auth.credential.label
    impersonations = google.tokens.impersonations
    result = ingest_ga4(settings, PROPERTY, today=TODAY, reports=["traffic_sources"])
    assert result.loaded == {"traffic_sources": 2 * 6}
    assert google.tokens.impersonations == impersonations + 1


def test_impersonation_without_the_token_creator_role_says_so(google: Google) -> None:
    stranger = "nobody-trusts-me@marketloop-demo.iam.gserviceaccount.com"
    overrides = {
        "credentials_file": str(google.key_file),
        "impersonate": stranger,
        "iam_endpoint": google.iam_url,
    }
    with pytest.raises(CredentialError) as info:
        google_auth(load_settings(overrides={"google": overrides}), "ga4").header()
    assert f"impersonation of {stranger} by the service-account key" in info.value.message
    assert "iam.serviceAccounts.getAccessToken" in info.value.message
    assert "Token Creator role" in str(info.value.hint)
    assert f"roles/iam.serviceAccountTokenCreator on {stranger}" in str(info.value.hint)


def test_impersonate_must_be_an_email() -> None:
    with pytest.raises(ConfigError, match="not a service-account email"):
        load_settings(overrides={"google": {"impersonate": "[/]<b>sa"}})
