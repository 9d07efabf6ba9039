"""Structured logging (structlog): console lines for people, JSON lines for machines.

Secrets never reach a log or an error message: any key that looks like a credential is masked;
values that look like tokens (Bearer ..., sk-, pat-, ntn_, secret_, Google's ya29.) are masked
wherever they appear; and every secret setting's actual value, registered when the settings
load (`register_secret`), is masked wherever it appears, whatever its shape.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

SECRET_KEY = re.compile(r"(token|secret|password|passwd|api[_-]?key|authorization|cookie)", re.I)
SECRET_VALUE = re.compile(
    r"(Bearer\s+)[A-Za-z0-9._~+/=\-]+|(sk-|pat-|ntn_|secret_|ya29\.)[A-Za-z0-9._\-]{6,}"
)
MASK = "***"
#: shorter values are not registered: masking them would garble ordinary text
MIN_SECRET_LENGTH = 8
_known_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask `value` wherever it appears in logs and error messages from now on."""
    if value and len(value.strip()) >= MIN_SECRET_LENGTH:
        _known_secrets.add(value.strip())


def forget_secrets() -> None:
    """Forget every registered value (tests: one test's secrets must not mask the next's text)."""
    _known_secrets.clear()


def mask_secrets(text: str) -> str:
    for secret in sorted(_known_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return SECRET_VALUE.sub(lambda m: (m.group(1) or m.group(2) or "") + MASK, text)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if SECRET_KEY.search(key):
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = mask_secrets(value)
    return event


def configure_logging(level: str = "warning", fmt: str = "console") -> None:
    """Configure structlog and the stdlib root logger once, for the CLI, API and workers."""
    numeric = logging.getLevelName(level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=numeric, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
