"""HMAC signatures for outbound webhooks (briefs, loop events, escalations).

Header `X-Marketloop-Signature: t=<unix seconds>,v1=<hex sha256 of "t.body">`, the scheme
Stripe and Slack use: the receiver recomputes it with the shared secret, compares in constant
time and rejects old timestamps to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Marketloop-Signature"


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(body: bytes, header: str, secret: str, *, tolerance: int = 300) -> bool:
    """True when `header` signs `body` with `secret` within `tolerance` seconds of now."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(body, secret, stamp), header)
