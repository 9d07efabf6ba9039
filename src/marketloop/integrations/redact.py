"""Keep secrets out of records and logs.

Webhook URLs often are the secret: a Zapier Catch Hook or a Slack incoming webhook carries its
token in the path (`/hooks/catch/123456/abcdef/`), others in the query (`?token=...`). What we
store and print is `redact_url(url)`: scheme, host and port, the first path segment when it is a
plain word, everything after it masked; no user info, no query, no fragment. `url_key(url)`
tells two URLs apart without revealing them.

httpx logs every request URL at INFO; `quiet_http_logs` keeps those lines out of our logs.
"""

from __future__ import annotations

import hashlib
import logging
import re
from urllib.parse import urlsplit

from marketloop.observe.logging import MASK

_WORD = re.compile(r"[a-z][a-z_-]{0,23}")  # a lower-case word such as hooks, services, webhooks


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    first, _, rest = parts.path.lstrip("/").partition("/")
    path = ""
    if first and _WORD.fullmatch(first):
        path = f"/{first}"
        first = ""
    if first or rest.strip("/"):
        path += f"/{MASK}"
    redacted = f"{parts.scheme}://{host}{path}"
    return redacted + f"?{MASK}" if parts.query else redacted


def url_key(url: str) -> str:
    """A short, stable, non-reversible id of `url` (to find earlier deliveries to it)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def quiet_http_logs() -> None:
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
