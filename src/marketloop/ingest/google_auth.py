"""Google credentials: a service-account key exchanged for an access token, or a given token.

A service-account key is the JSON file Google Cloud hands out. We sign a JWT with its RSA key
(RS256, RFC 7523) and exchange it at the key's `token_uri` (or `[google] token_uri`) for an
access token that lasts about an hour; a 401 mid-run gets a fresh one. Without a key file,
`MARKETLOOP_GOOGLE_ACCESS_TOKEN` is sent as it is (it cannot be refreshed).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from marketloop.config import Settings, config_file, require_secret
from marketloop.errors import ConfigError, CredentialError
from marketloop.ingest.http import Auth, Credential, StaticToken, error_detail

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_OAUTH_ENDPOINT = "https://oauth2.googleapis.com/token"
SCOPES = {
    "ga4": "https://www.googleapis.com/auth/analytics.readonly",
    "gsc": "https://www.googleapis.com/auth/webmasters.readonly",
}
_KEY_FIELDS = ("client_email", "private_key")


@dataclass(frozen=True)
class ServiceAccountKey:
    client_email: str
    private_key: rsa.RSAPrivateKey
    private_key_id: str
    token_uri: str
    path: Path

    @classmethod
    def read(cls, path: Path) -> ServiceAccountKey:
        where = f"service-account key {path}"
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read the {where}: {exc.strerror}") from None
        except ValueError as exc:
            raise ConfigError(f"the {where} is not JSON: {exc}") from None
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise ConfigError(f'the {where} is not a service-account key (no "type": ...)')
        missing = [name for name in _KEY_FIELDS if not info.get(name)]
        if missing:
            raise ConfigError(f"the {where} lacks {', '.join(missing)}")
        try:
            key = serialization.load_pem_private_key(info["private_key"].encode(), None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"the private key in the {where} is unreadable: {exc}") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigError(f"the private key in the {where} is not an RSA key")
        return cls(
            client_email=info["client_email"],
            private_key=key,
            private_key_id=str(info.get("private_key_id", "")),
            token_uri=str(info.get("token_uri") or GOOGLE_OAUTH_ENDPOINT),
            path=path,
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed_assertion(key: ServiceAccountKey, scope: str, audience: str, now: float) -> str:
    """The RS256-signed JWT Google's token endpoint exchanges for an access token."""
    header = {"alg": "RS256", "typ": "JWT", "kid": key.private_key_id}
    claims = {
        "iss": key.client_email,
        "scope": scope,
        "aud": audience,
        "iat": int(now),
        "exp": int(now) + 3600,
    }
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


class ServiceAccountAuth:
    """Access tokens from a service-account key, fetched when needed and on a 401."""

    def __init__(self, key: ServiceAccountKey, scope: str, token_uri: str, timeout: float) -> None:
        self.key = key
        self.scope = scope
        self.token_uri = token_uri
        self.timeout = timeout
        self.credential = Credential(
            f"service-account key {key.path} ({key.client_email})",
            f"the key file named by MARKETLOOP_GOOGLE_CREDENTIALS_FILE or [google] "
            f"credentials_file in {config_file()} (or grant {key.client_email} access)",
        )
        self._token: str | None = None
        self._expires = 0.0

    def header(self) -> str:
        if self._token is None or time.time() > self._expires - 60:
            self._fetch()
        return f"Bearer {self._token}"

    def refresh(self) -> bool:
        self._fetch()
        return True

    def _fetch(self) -> None:
        assertion = signed_assertion(self.key, self.scope, self.token_uri, time.time())
        try:
            response = httpx.post(
                self.token_uri,
                data={"grant_type": JWT_GRANT, "assertion": assertion},
                timeout=self.timeout,
            )
        except httpx.TransportError as exc:
            raise CredentialError(
                f"cannot reach the token endpoint {self.token_uri}: {type(exc).__name__} {exc}",
                hint="check the network, the key's token_uri or [google] token_uri",
            ) from None
        if response.status_code != 200:
            raise CredentialError(
                f"the token endpoint {self.token_uri} refused the {self.credential.label} "
                f"(HTTP {response.status_code}: {error_detail(response)})",
                hint=f"fix {self.credential.origin}",
            )
        body = response.json()
        self._token = str(body["access_token"])
        self._expires = time.time() + float(body.get("expires_in", 3600))


def google_auth(settings: Settings, service: str) -> Auth:
    """The Google credential in force for `service` ("ga4" or "gsc")."""
    google = settings.google
    if google.credentials_file is not None:
        key = ServiceAccountKey.read(google.credentials_file)
        token_uri = google.token_uri or key.token_uri
        return ServiceAccountAuth(key, SCOPES[service], token_uri, settings.ga4.timeout)
    if google.access_token is None:
        raise ConfigError(
            "no Google credentials: neither google.credentials_file nor google.access_token is set",
            hint="set MARKETLOOP_GOOGLE_CREDENTIALS_FILE to a service-account key, or "
            f"MARKETLOOP_GOOGLE_ACCESS_TOKEN, or [google] in {config_file()}",
        )
    token = require_secret(google.access_token, section="google", field="access_token")
    origin = f"MARKETLOOP_GOOGLE_ACCESS_TOKEN (or [google] access_token in {config_file()})"
    return StaticToken(token, Credential("Google access token", origin))
