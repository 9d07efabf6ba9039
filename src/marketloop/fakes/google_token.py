"""A fake of Google's OAuth 2.0 token endpoint (`POST /token`, JWT bearer grant, RFC 7523) and
the access tokens the GA4 and Search Console fakes accept.

The endpoint checks what Google checks: the grant type, an RS256 signature by a key it trusts,
`aud` equal to the endpoint's URL, a lifetime of at most an hour around now. Errors use the
OAuth shape `{"error": "invalid_grant", "error_description": ...}`.

    tokens = GoogleTokens()
    key_file = tokens.create_service_account(tmp / "key.json", token_uri=server.url + "/token")
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from marketloop.fakes.common import google_error, json_errors, json_response, method_not_found

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
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
    exchanges: int = 0

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

    def add_token(self, token: str, scope: str = "*", lifetime: float | None = None) -> str:
        self.issued[token] = (time.time() + (lifetime or self.lifetime), scope)
        return token

    def expire_all(self) -> None:
        self.issued = {token: (0.0, scope) for token, (_, scope) in self.issued.items()}

    def check(self, request: web.Request, scope: str) -> web.Response | None:
        """None when the request carries a live token for `scope`, else Google's 401/403."""
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
        if granted not in ("*", scope) and scope not in granted.split():
            return google_error(403, "Request had insufficient authentication scopes.")
        return None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[json_errors(google_error)])
        app.router.add_post("/token", self._token)
        method_not_found(app)  # JSON, never aiohttp's plain text
        return app

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != JWT_GRANT:
            return _oauth_error(
                "unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type')!s}"
            )
        try:
            claims = self._verify(str(form.get("assertion", "")), f"{request.url.origin()}/token")
        except ValueError as exc:
            return _oauth_error("invalid_grant", str(exc))
        self.exchanges += 1
        token = self.add_token("ya29." + secrets.token_urlsafe(32), str(claims.get("scope", "")))
        return json_response(
            {"access_token": token, "expires_in": self.lifetime - 1, "token_type": "Bearer"}
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
