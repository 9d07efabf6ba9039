"""Inbound hook signatures, Standard Webhooks v1 (https://www.standardwebhooks.com), the scheme
marketloop's outbound webhooks use too:

    webhook-id: msg_2b...            unique per message (the sender's retries reuse it)
    webhook-timestamp: 1765031234    Unix seconds
    webhook-signature: v1,<base64>   HMAC-SHA256 over "<id>.<timestamp>.<body>"; several
                                     space-separated signatures while a secret is rotated

The secret is `whsec_<base64 key>`. A timestamp more than five minutes from now (either way) is
refused, so a captured request cannot be replayed later; signatures are compared in constant
time. `verify` is pure; `deps.signed_hook` applies it to a request (the hooks route that
starts runs comes with the runner).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from marketloop.api.errors import Unauthenticated
from marketloop.errors import ConfigError

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix of every secret, not one)
TOLERANCE = 300  # seconds


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_...` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise ConfigError("a hook secret must start with whsec_ (Standard Webhooks)")
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("a hook secret must be whsec_ followed by base64") from None


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value a sender puts on `body`."""
    content = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> str:
    """The message id when `headers` sign `body` with `secret`; else Unauthenticated."""
    message_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    if not message_id or not stamp or not given:
        raise Unauthenticated(
            "missing webhook-id, webhook-timestamp or webhook-signature", error="invalid_request"
        )
    try:
        timestamp = int(stamp)
    except ValueError:
        raise Unauthenticated("webhook-timestamp is not a Unix time") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise Unauthenticated("webhook-timestamp is more than 5 minutes from now (a replay?)")
    expected = sign(secret, message_id, timestamp, body).encode()
    matched = False
    for candidate in given.split():
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise Unauthenticated("webhook-signature does not match the body")
    return message_id
