"""Inbound hook signatures, Standard Webhooks v1 (https://www.standardwebhooks.com), the scheme
marketloop's outbound webhooks use too:

    webhook-id: msg_2b...            unique per message (the sender's retries reuse it)
    webhook-timestamp: 1765031234    Unix seconds
    webhook-signature: v1,<base64>   HMAC-SHA256 over "<id>.<timestamp>.<body>"; several
                                     space-separated signatures while a secret is rotated

The secret is `whsec_<base64 key>`. A timestamp more than five minutes from now (either way) is
refused, so a captured request cannot be replayed later; signatures are compared in constant
time. The HMAC is the outbound signer's (integrations/signing.py), so both directions compute
it one way. `verify` is pure; `deps.signed_hook` applies it to a request (the hooks route that
starts runs comes with the runner).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping

from marketloop.api.errors import Unauthenticated
from marketloop.errors import ConfigError
from marketloop.integrations.signing import (
    ID_HEADER,
    PREFIX,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
    signing_key,
)

TOLERANCE = 300  # seconds


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_...` secret (inbound hooks take no other form)."""
    if not secret.startswith(PREFIX):
        raise ConfigError(f"a hook secret must start with {PREFIX} (Standard Webhooks)")
    return signing_key(secret)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value a sender puts on `body` (the outbound signer's)."""
    return signature(secret_key(secret), message_id, timestamp, body)


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> str:
    """The message id when `headers` sign `body` with `secret`; else Unauthenticated saying
    what was wrong (missing headers, a stale timestamp, or no matching signature)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get(ID_HEADER, "")
    stamp = lowered.get(TIMESTAMP_HEADER, "")
    given = lowered.get(SIGNATURE_HEADER, "")
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
    for candidate in given.split():  # every one is compared: no early exit to time
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise Unauthenticated("webhook-signature does not match the body")
    return message_id
