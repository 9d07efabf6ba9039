"""A fake of Google's OAuth 2.0 token endpoint and of the IAM Credentials API, and the access
tokens the GA4 and Search Console fakes accept.

    POST /token   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer (service-account key,
                  RFC 7523): an RS256 signature by a key it trusts, `aud` equal to
                  https://oauth2.googleapis.com/token (always, wherever the endpoint is), a
                  lifetime of at most an hour around now;
                  grant_type=refresh_token (an authorized user, e.g. the file
                  `gcloud auth application-default login` writes): a known client and refresh
                  token, and `scope` within what the user granted
    POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken   impersonation: the
                  caller's token needs the cloud-platform (or iam) scope and the Token
                  Creator role on the target account

Token errors use the OAuth shape `{"error": "invalid_grant", "error_description": ...}`, IAM
errors Google's `{"error": {"code", "message", "status"}}`.

    tokens = GoogleTokens()
    key_file = tokens.create_service_account(tmp / "key.json", token_uri=server.url + "/token")
    adc = tokens.create_authorized_user(tmp / "application_default_credentials.json")
    tokens.grant_token_creator("reader@p.iam.gserviceaccount.com", to="ada@example.com")
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from marketloop.fakes.common import google_error, json_errors, json_response, method_not_found

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUDIENCE = "https://oauth2.googleapis.com/token"  # Google: "this value is always ..."
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
IAM = "https://www.googleapis.com/auth/iam"
DENIED = "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist)."
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class GoogleTokens:
    """Which service accounts the token endpoint trusts, and which access tokens are valid."""

    lifetime: int = 3600
    max_uses: int | None = None  # a token dies after this many requests (expiry mid-run)
    uses: dict[str, int] = field(default_factory=dict)
    trusted: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    issued: dict[str, tuple[float, str]] = field(default_factory=dict)  # token → (expiry, scope)
    principals: dict[str, str] = field(default_factory=dict)  # token → whose it is
    users: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # refresh token → user
    token_creators: dict[str, set[str]] = field(default_factory=dict)  # target → who may
    exchanges: int = 0
    impersonations: int = 0

    def create_service_account(
        self,
        path: Path,
        token_uri: str,
        email: str = "ingest@marketloop-demo.iam.gserviceaccount.com",
    ) -> Path:
        """Write a service-account key file whose signatures this fake accepts."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.trusted[email] = key.public_key()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        info = {
            "type": "service_account",
            "project_id": "marketloop-demo",
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": email,
            "client_id": "1" * 21,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
        }
        path.write_text(json.dumps(info, indent=2), encoding="utf-8")
        return path

    def create_authorized_user(
        self,
        path: Path,
        email: str = "ada@example.com",
        scopes: str = f"{CLOUD_PLATFORM} https://www.googleapis.com/auth/analytics.readonly",
    ) -> Path:
        """Write an authorized-user file (what gcloud's application-default login writes) whose
        refresh token this fake accepts for `scopes`. Like gcloud's, it names no token endpoint:
        google-auth always uses Google's, so point `[google] token_uri` at this fake."""
        client_id = f"{secrets.randbelow(10**12)}-fake.apps.googleusercontent.com"
        client_secret, refresh = secrets.token_urlsafe(18), "1//" + secrets.token_urlsafe(32)
        self.users[refresh] = (f"{client_id}:{client_secret}", email, scopes)
        info = {
            "type": "authorized_user",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh,
        }
        path.write_text(json.dumps(info, indent=2), encoding="utf-8")
        return path

    def grant_token_creator(self, target: str, to: str) -> None:
        """Give `to` the Service Account Token Creator role on `target`."""
        self.token_creators.setdefault(target, set()).add(to)

    def add_token(
        self, token: str, scope: str = "*", lifetime: float | None = None, principal: str = ""
    ) -> str:
        self.issued[token] = (time.time() + (lifetime or self.lifetime), scope)
        self.principals[token] = principal
        return token

    def expire_all(self) -> None:
        self.issued = {token: (0.0, scope) for token, (_, scope) in self.issued.items()}

    def check(self, request: web.Request, *scopes: str) -> web.Response | None:
        """None when the request carries a live token for one of `scopes`, else Google's
        401/403."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        expiry, granted = self.issued.get(token, (0.0, ""))
        self.uses[token] = used = self.uses.get(token, 0) + 1
        worn_out = self.max_uses is not None and used > self.max_uses
        if not header.startswith("Bearer ") or expiry < time.time() or worn_out:
            return google_error(
                401,
                UNAUTHENTICATED,
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        if granted != "*" and not set(scopes) & set(granted.split()):
            return google_error(403, "Request had insufficient authentication scopes.")
        return None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[json_errors(google_error)])
        app.router.add_post("/token", self._token)
        app.router.add_post("/v1/projects/-/serviceAccounts/{call}", self._generate)
        method_not_found(app)  # JSON, never aiohttp's plain text
        return app

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        if form.get("grant_type") != JWT_GRANT:
            return _oauth_error(
                "unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type')!s}"
            )
        try:
            claims = self._verify(str(form.get("assertion", "")), AUDIENCE)
        except ValueError as exc:
            return _oauth_error("invalid_grant", str(exc))
        self.exchanges += 1
        scope, principal = str(claims.get("scope", "")), str(claims.get("iss"))
        return self._issue(scope, principal)

    def _issue(self, scope: str, principal: str) -> web.Response:
        token = self.add_token("ya29." + secrets.token_urlsafe(32), scope, principal=principal)
        return json_response(
            {
                "access_token": token,
                "expires_in": self.lifetime - 1,
                "scope": scope,
                "token_type": "Bearer",
            }
        )

    def _refresh(self, form: Any) -> web.Response:
        client, email, granted = self.users.get(str(form.get("refresh_token")), ("", "", ""))
        if not client:
            return _oauth_error("invalid_grant", "Token has been expired or revoked.")
        if client != f"{form.get('client_id')}:{form.get('client_secret')}":
            return _oauth_error("invalid_client", "The OAuth client was not found.")
        asked = str(form.get("scope") or granted).split()
        invalid = [scope for scope in asked if scope not in granted.split()]
        if invalid:
            return _oauth_error("invalid_scope", f"Some requested scopes were invalid. {invalid}")
        self.exchanges += 1
        return self._issue(" ".join(asked), email)

    async def _generate(self, request: web.Request) -> web.Response:
        target, _, method = request.match_info["call"].partition(":")
        if method != "generateAccessToken":
            return google_error(404, f"Method {method!r} not found.")
        caller = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        refused = self.check(request, CLOUD_PLATFORM, IAM)
        if refused is not None:
            return refused
        if self.principals.get(caller) not in self.token_creators.get(target, set()):
            return google_error(403, DENIED)
        body = await request.json()
        lifetime = int(str(body.get("lifetime", "3600s")).removesuffix("s"))
        if not 0 < lifetime <= 3600:
            return google_error(400, "The lifetime must be between 1 and 3600 seconds.")
        self.impersonations += 1
        scope = " ".join(body.get("scope") or [])
        token = self.add_token("ya29.i." + secrets.token_urlsafe(32), scope, lifetime, target)
        expires = datetime.fromtimestamp(time.time() + lifetime, UTC)
        return json_response(
            {"accessToken": token, "expireTime": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}
        )

    def _verify(self, assertion: str, audience: str) -> dict[str, Any]:
        try:
            head_b64, claims_b64, sig_b64 = assertion.split(".")
            header = json.loads(_unb64(head_b64))
            claims = json.loads(_unb64(claims_b64))
            signature = _unb64(sig_b64)
        except ValueError:
            raise ValueError("Invalid JWT: malformed assertion") from None
        if header.get("alg") != "RS256":
            raise ValueError("Invalid JWT: unsupported algorithm")
        public = self.trusted.get(str(claims.get("iss")))
        if public is None:
            raise ValueError("Invalid grant: account not found")
        try:
            message = f"{head_b64}.{claims_b64}".encode()
            public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise ValueError("Invalid JWT Signature.") from None
        now = time.time()
        iat, exp = float(claims.get("iat", 0)), float(claims.get("exp", 0))
        if claims.get("aud") != audience or not (iat - 300 <= now <= exp) or exp - iat > 3600:
            raise ValueError(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim."
            )
        return dict(claims)


def _oauth_error(error: str, description: str) -> web.Response:
    return json_response({"error": error, "error_description": description}, 400)
