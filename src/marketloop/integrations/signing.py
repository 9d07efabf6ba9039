"""Signatures of outbound webhooks, after the Standard Webhooks specification
(https://www.standardwebhooks.com/), so receivers verify them with a stock library.

    webhook-id          the event id: the same on every retry (receivers drop repeats by it)
    webhook-timestamp   unix seconds of this attempt (receivers refuse old ones: replays)
    webhook-signature   `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`

The secret is `whsec_` followed by the base64 of the key bytes, the form every Standard
Webhooks library takes (`Webhook("whsec_...")`). A secret without the prefix, from before the
switch, is used as the raw UTF-8 key (a receiver passes `Webhook(secret.encode())`).

`X-Marketloop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` with the whole
secret string as the key is the old header: still sent while `[webhooks] legacy_signature` is
on (one release), so receivers can move over without a gap.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from marketloop.errors import ConfigError

PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
LEGACY_HEADER = "X-Marketloop-Signature"
MIN_KEY_BYTES = 16


def signing_key(secret: str) -> bytes:
    """The HMAC key a secret stands for; a malformed `whsec_` secret is a ConfigError."""
    if not secret.startswith(PREFIX):
        return secret.encode()
    text = secret.removeprefix(PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(
            f"webhooks.secret starts with {PREFIX} but is not followed by the base64 of at least "
            f"{MIN_KEY_BYTES} bytes",
            hint='make one with: python -c "import base64, secrets; '
            "print('whsec_' + base64.b64encode(secrets.token_bytes(32)).decode())\"",
        )
    return key


def new_secret() -> str:
    """A fresh secret in the Standard Webhooks form (32 random bytes)."""
    import secrets

    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64>` for one message."""
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(
    key: bytes, msg_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: signature(key, msg_id, stamp, body),
    }


def verify(body: bytes, headers: Mapping[str, str], key: bytes, *, tolerance: int = 300) -> bool:
    """True when `headers` sign `body` with `key` within `tolerance` seconds of now (what a
    receiver does; any of the space-separated signatures may match)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get(ID_HEADER, "")
    try:
        stamp = int(lowered.get(TIMESTAMP_HEADER, ""))
    except ValueError:
        return False
    if not msg_id or abs(time.time() - stamp) > tolerance:
        return False
    expected = signature(key, msg_id, stamp, body).encode()
    given = lowered.get(SIGNATURE_HEADER, "").split(" ")
    return any(hmac.compare_digest(expected, candidate.encode()) for candidate in given)


def legacy_sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The old `X-Marketloop-Signature` value (sent for one release, see the docstring)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"
