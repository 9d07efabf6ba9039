"""Google credentials through `google-auth`, in this order:

    [google] access_token     sent as it is (it cannot be refreshed)
    [google] credentials_file any file google-auth reads: a service-account key, an authorized
                              user (what `gcloud auth application-default login` writes),
                              workload identity federation (external_account)
    Application Default Credentials   GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, the
                              metadata server (GCE, GKE workload identity, Cloud Run)

and then, with `[google] impersonate = "sa@project.iam.gserviceaccount.com"`, a short-lived
token of that service account, obtained with the credential above (which needs the Token
Creator role on it). Each source asks for the read-only scope it needs (SCOPES); a credential
used to impersonate needs cloud-platform. `[google] token_uri` and `iam_endpoint` move the
token and IAM endpoints (the demo and the tests point them at the local fakes).

Tokens are fetched when needed and again after a 401. A failure names the credential tried and
what is missing (a file, a field, a scope, a role).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketloop.config import Settings, config_file, require_secret
from marketloop.errors import ConfigError, CredentialError
from marketloop.ingest.http import Auth, Credential, StaticToken
from marketloop.observe.logging import mask_secrets

SCOPES = {
    "ga4": "https://www.googleapis.com/auth/analytics.readonly",
    "gsc": "https://www.googleapis.com/auth/webmasters.readonly",
}
KINDS = {  # google-auth module → what to call the credential
    "service_account": "service-account key",
    "credentials": "authorized-user credentials",
    "identity_pool": "workload identity federation credentials",
    "aws": "workload identity federation credentials",
    "pluggable": "workload identity federation credentials",
    "compute_engine": "metadata-server service account",
    "impersonated_credentials": "impersonated service-account credentials",
}
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
IAM_PATH = "/v1/projects/-/serviceAccounts/{}:generateAccessToken"
ADC_HINT = (
    "set [google] credentials_file or MARKETLOOP_GOOGLE_CREDENTIALS_FILE, or "
    "GOOGLE_APPLICATION_CREDENTIALS, or run `gcloud auth application-default login "
    "--scopes={scopes}`, or run on Google Cloud with a service account attached"
)


@dataclass(frozen=True)
class Source:
    """Where the credential came from, and how to fix it (for error messages)."""

    label: str  # "service-account key /keys/sa.json (ingest@p.iam.gserviceaccount.com)"
    fix: str


class GoogleAuth:
    """A google-auth credential behind our `Auth` protocol (http.py)."""

    def __init__(self, credentials: Any, source: Source, scope: str, timeout: float) -> None:
        from google.auth.transport.requests import Request

        self.credentials = credentials
        self.source = source
        self.scope = scope
        self.credential = Credential(source.label, source.fix)
        self._request = functools.partial(Request(), timeout=timeout)

    def header(self) -> str:
        if not self.credentials.valid:
            self._refresh()
        return f"Bearer {self.credentials.token}"

    def refresh(self) -> bool:
        self._refresh()
        return True

    def _refresh(self) -> None:
        from google.auth.exceptions import GoogleAuthError, TransportError

        try:
            self.credentials.refresh(self._request)
        except TransportError as exc:
            raise CredentialError(
                f"cannot reach Google's token endpoint for the {self.source.label}: {_words(exc)}",
                hint="check the network, [google] token_uri and [google] iam_endpoint",
            ) from None
        except (GoogleAuthError, ValueError) as exc:
            raise CredentialError(
                f"Google refused the {self.source.label}: {_words(exc)}",
                hint=f"{_missing(exc, self.scope)}{self.source.fix}",
            ) from None


def _words(exc: BaseException) -> str:
    """google-auth's message and the endpoint's answer, on one masked line."""
    parts = [str(arg) for arg in exc.args if arg]
    return mask_secrets(" ".join(" ".join(parts).split()))[:400] or type(exc).__name__


def _missing(exc: BaseException, scope: str) -> str:
    """What the endpoint's words say is missing, as the first part of a hint."""
    text = _words(exc)
    if "invalid_scope" in text:
        return f"the credential was not granted {scope}; "
    if "insufficient authentication scopes" in text:
        return f"the impersonating credential lacks the {CLOUD_PLATFORM} scope; "
    if "getAccessToken" in text or "Unable to acquire impersonated" in text:
        return "the credential needs the Service Account Token Creator role on that account; "
    if "invalid_grant" in text:
        return "the key or login is revoked, expired or unknown; "
    return ""


def google_auth(settings: Settings, service: str) -> Auth:
    """The Google credential in force for `service` ("ga4" or "gsc")."""
    google = settings.google
    scope = SCOPES[service]
    if google.access_token is not None and google.access_token.get_secret_value():
        token = require_secret(google.access_token, section="google", field="access_token")
        origin = f"MARKETLOOP_GOOGLE_ACCESS_TOKEN (or [google] access_token in {config_file()})"
        return StaticToken(token, Credential("Google access token", origin))
    scopes = [CLOUD_PLATFORM] if google.impersonate else [scope]
    credentials, source = base_credentials(settings, scopes)
    if google.impersonate:
        credentials, source = impersonated(settings, credentials, source, scope)
    return GoogleAuth(credentials, source, scope, settings.ga4.timeout)


def base_credentials(settings: Settings, scopes: list[str]) -> tuple[Any, Source]:
    """The credentials file, else Application Default Credentials, with `scopes`."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    from marketloop.ingest.google_files import load_file

    google_settings = settings.google
    path = google_settings.credentials_file
    if path is not None:
        credentials = load_file(path, scopes)
    else:
        try:
            credentials, _ = google.auth.default(scopes=scopes)
        except (DefaultCredentialsError, ValueError) as exc:
            raise ConfigError(
                "no Google credentials: [google] access_token and credentials_file are not "
                f"set and Application Default Credentials found none ({_words(exc)})",
                hint=ADC_HINT.format(scopes=",".join(scopes))
                + ", or set MARKETLOOP_GOOGLE_ACCESS_TOKEN",
            ) from None
    if google_settings.token_uri and hasattr(credentials, "with_token_uri"):
        credentials = credentials.with_token_uri(google_settings.token_uri)
    return credentials, describe(credentials, path, scopes)


def describe(credentials: Any, path: Path | None, scopes: list[str]) -> Source:
    """A label for the credential ("service-account key /k.json (sa@p.iam...)") and where to
    fix it."""
    kind = type(credentials).__module__.rsplit(".", 1)[-1]
    parts = [KINDS.get(kind, f"Google {kind} credentials")]
    if path is not None:
        parts.append(str(path))
    email = getattr(credentials, "service_account_email", None)
    if isinstance(email, str) and "@" in email:
        parts.append(f"({email})")
    label = " ".join(parts)
    if path is None:
        adc = ADC_HINT.format(scopes=",".join(scopes))
        return Source(f"{label} from Application Default Credentials", adc)
    fix = (
        "fix the file named by MARKETLOOP_GOOGLE_CREDENTIALS_FILE or [google] credentials_file "
        f"in {config_file()}, or give its account access"
    )
    return Source(label, fix)


def impersonated(settings: Settings, source: Any, origin: Source, scope: str) -> tuple[Any, Source]:
    """A token of `[google] impersonate`, obtained with `source`."""
    from google.auth import impersonated_credentials

    target = settings.google.impersonate
    assert target is not None
    endpoint = settings.google.iam_endpoint.rstrip("/") + IAM_PATH.format(target)
    credentials = impersonated_credentials.Credentials(
        source_credentials=source,
        target_principal=target,
        target_scopes=[scope],
        iam_endpoint_override=endpoint,
    )
    label = f"impersonation of {target} by the {origin.label}"
    fix = (
        f"grant the impersonating principal roles/iam.serviceAccountTokenCreator on {target}, "
        f"check [google] impersonate in {config_file()}, and {origin.fix}"
    )
    return credentials, Source(label, fix)
