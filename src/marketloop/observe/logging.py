"""Structured logging (structlog): console lines for people, JSON lines for machines.

Secrets never reach a log or an error message: any key that looks like a credential is masked
(a structlog key, a dict key at any depth, a `key=value` or `(b'X-Api-Token', b'...')` pair in
text); values that look like tokens (Bearer ..., sk-, pat-, ntn_, secret_, Google's ya29.) are
masked wherever they appear; and every secret setting's actual value, registered when the
settings load (`register_secret`), is masked wherever it appears, whatever its shape.

Both log paths are masked: structlog events by the `redact` processor (every value type: str,
bytes, dicts, lists, tuples, and anything else by its text), and the standard `logging` module
(httpx, httpcore, dlt, uvicorn, any library) by a record factory that masks each record's
message, arguments and traceback when it is made, before any handler sees it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from structlog.processors import NAME_TO_LEVEL

from marketloop.observe import steplog

_KEY_WORD = r"(?:token|secret|password|passwd|api[_-]?key|authorization|cookie)"
SECRET_KEY = re.compile(_KEY_WORD, re.I)
SECRET_VALUE = re.compile(
    r"(Bearer\s+)[A-Za-z0-9._~+/=\-]+|(sk-|pat-|ntn_|secret_|ya29\.)[A-Za-z0-9._\-]{6,}"
)
#: a credential-looking key followed by its value, in text: `token=x`, `"api_key": "x"`, and
#: a pair whose first item is such a key, `(b'X-Echo-Token', b'x')` (how httpcore logs
#: headers); `'passwd', 'email'` in a longer list is not a pair (its `email` was masked). A
#: quoted value is masked up to its closing quote, whatever it holds (`"[/]a,b"` was cut at
#: `]`, and `'"&x'` not masked at all); a bare one up to a space, a quote, a comma, a closing
#: bracket that ends it (`(token=x)`; `token=[/]x[b]` is masked whole) or the next query
#: parameter (`&page=2`). Anchored on the key word (or a pair's parenthesis) with bounded
#: repeats: linear even on a 1 MB line.
SECRET_PAIR = re.compile(
    rf"""(?:{_KEY_WORD}[\w-]{{0,64}}['"]?[ \t]{{0,8}}[:=]"""
    rf"""|\(b?['"][\w-]{{0,64}}?{_KEY_WORD}[\w-]{{0,64}}['"][ \t]{{0,8}},)[ \t]{{0,8}}"""
    r"""(?:b?'(?P<single>(?:\\.|[^'\\\n])+)|b?"(?P<double>(?:\\.|[^"\\\n])+)"""
    r"""|(?P<bare>(?:Bearer[ \t]+)?"""
    r"""(?:\[[^\s'"\[\]]{0,64}\]|\([^\s'"()]{0,64}\)|\{[^\s'"{}]{0,64}\}|[^\s'",)}\]&]"""
    r"""|[)}\]](?![\s,;)}\]]|$)|&(?![\w.-]{1,64}=))+))""",
    re.I,
)
#: a cookie header's value, every pair of it (`Cookie: a=b; c=d`, `Set-Cookie: s=x; Expires=Wed,
#: 21 Oct 2015 ...`): masked to the end of its line, whatever it holds (`SECRET_PAIR` stops a
#: bare value at a space, which showed `c=d`). A quoted value that ends there (`cookie="a=b;
#: c=d" next`) is left to `SECRET_PAIR`, which masks it to its closing quote; one followed by
#: `;` (`cookie: "a"; c=d`) is masked to the end of the line too.
COOKIE_PAIR = re.compile(
    r"""(cookie[\w-]{0,64}['"]?[ \t]{0,8}[:=][ \t]{0,8})"""
    r"""(?!b?'(?:\\.|[^'\\\n])*'(?![ \t]*;)|b?"(?:\\.|[^"\\\n])*"(?![ \t]*;))"""
    r"""[^\r\n]+""",
    re.I,
)
MASK = "***"
#: shorter values are not registered: masking them would garble ordinary text
MIN_SECRET_LENGTH = 8
_known_secrets: set[str] = set()


#: the registered values, longest first (masked in that order): sorted when one is added, not
#: at every masking (replaced whole, so a masking in another thread sees one or the other)
_longest_first: list[tuple[str, ...]] = [()]


def register_secret(value: str | None) -> None:
    """Mask `value` wherever it appears in logs and error messages from now on."""
    if value and len(value.strip()) >= MIN_SECRET_LENGTH:
        _known_secrets.add(value.strip())
        _longest_first[0] = tuple(sorted(_known_secrets, key=len, reverse=True))


def forget_secrets() -> None:
    """Forget every registered value (tests: one test's secrets must not mask the next's text)."""
    _known_secrets.clear()
    _longest_first[0] = ()


def mask_secrets(text: str) -> str:
    for secret in _longest_first[0]:
        if secret in text:
            text = text.replace(secret, MASK)
    text = COOKIE_PAIR.sub(rf"\g<1>{MASK}", text)
    text = SECRET_PAIR.sub(_mask_pair_value, text)
    return SECRET_VALUE.sub(lambda m: (m.group(1) or m.group(2) or "") + MASK, text)


def _mask_pair_value(match: re.Match[str]) -> str:
    """A `SECRET_PAIR` match with its value (only) masked; its key and quotes are kept."""
    group = next(g for g in ("single", "double", "bare") if match.group(g) is not None)
    text, start, end = match.string, match.start(group), match.end(group)
    return text[match.start() : start] + MASK + text[end : match.end()]


def mask_value(value: Any, depth: int = 0) -> Any:
    """`value` with every secret in it masked, keeping its shape where it has one: strings and
    bytes masked as text, dicts (secret-looking keys masked whole), lists, tuples and sets
    item by item; anything else is replaced by its masked text when that text held a secret."""
    if type(value) is str:  # the common case first: every value of every log line comes here
        return mask_secrets(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping | list | tuple | set | frozenset) and depth > 20:
        return MASK
    if isinstance(value, Mapping):
        return {
            k: MASK if SECRET_KEY.search(_text(k)) else mask_value(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = [mask_value(v, depth + 1) for v in value]
        if _is_secret_pair(value):  # a header as httpx keeps it: (b"X-Api-Token", b"...")
            items[1] = MASK
        return items if isinstance(value, list) else type(value)(items)
    raw = isinstance(value, bytes | bytearray)
    text = bytes(value).decode("utf-8", "backslashreplace") if raw else str(value)
    masked = mask_secrets(text)
    return value if masked == text else masked.encode() if raw else masked


def _is_secret_pair(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str | bytes)
        and bool(SECRET_KEY.search(_text(value[0])))
    )


def _text(key: Any) -> str:
    return key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        event[key] = MASK if SECRET_KEY.search(key) else mask_value(value)
    return event


_make_record = logging.getLogRecordFactory()


def _masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """The standard library's log records, masked as they are made (see the docstring)."""
    record = _make_record(*args, **kwargs)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a library's malformed format string: keep what it said
        message = f"{record.msg} {record.args}"
    record.msg, record.args = mask_secrets(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = mask_secrets(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_secrets(record.stack_info)
    return record


def configure_logging(level: str = "warning", fmt: str = "console") -> None:
    """Configure structlog and the stdlib root logger once, for the CLI, API and workers."""
    numeric = logging.getLevelName(level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )

    def at_level(_: Any, method: str, event: MutableMapping[str, Any]) -> Any:
        """Below the process's level: only a step's own log keeps the line (steplog.py)."""
        if NAME_TO_LEVEL.get(method, numeric) < numeric and not steplog.capturing():
            raise structlog.DropEvent
        return event

    def after_tee(_: Any, method: str, event: MutableMapping[str, Any]) -> Any:
        if NAME_TO_LEVEL.get(method, numeric) < numeric:
            raise structlog.DropEvent
        return event

    structlog.configure(
        processors=[
            at_level,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            steplog.tee,
            after_tee,
            renderer,
        ],
        # INFO reaches the processors even at `warning`, for the step logs; at_level drops it
        wrapper_class=structlog.make_filtering_bound_logger(min(numeric, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.setLogRecordFactory(_masked_record)
    logging.basicConfig(
        level=numeric, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
