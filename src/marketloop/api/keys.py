"""API keys: made once, shown once, kept as a public prefix and an HMAC.

A key reads `mlk_<id>_<secret>`: `mlk_<id>` is its public prefix (shown in `keys list`, logs
and the audit log), the secret is 40 random base62 characters (~238 bits). The app database
keeps the prefix and HMAC-SHA256(pepper, key); the pepper is a server-side secret from the
settings, so a copy of the database alone cannot confirm a guessed key.

Why an HMAC and not a slow hash (bcrypt, Argon2): slow hashes protect low-entropy passwords
from guessing. A 238-bit random key cannot be guessed however fast the hash, and a slow hash
would cost tens of milliseconds of CPU on every request. The pepper adds what a slow hash would
have added for a stolen database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from marketloop.api.scopes import Scope
from marketloop.api.tables import ApiKey
from marketloop.config import Settings, require_secret
from marketloop.errors import ConfigError, UsageError, WorkspaceError
from marketloop.observe.logging import register_secret
from marketloop.workspace import Workspace

ALPHABET = string.ascii_letters + string.digits
KIND = "mlk"
ID_LENGTH = 10
SECRET_LENGTH = 40
PEPPER_FILE = "api-pepper"


@dataclass(frozen=True)
class KeyInfo:
    """A stored key as the API and CLI show it (never the secret or its hash)."""

    id: int
    name: str
    prefix: str
    scopes: tuple[Scope, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    request_count: int

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "name": self.name, "prefix": self.prefix,
            "scopes": [str(s) for s in self.scopes], "created_at": self.created_at,
            "expires_at": self.expires_at, "revoked_at": self.revoked_at,
            "last_used_at": self.last_used_at, "request_count": self.request_count,
        }  # fmt: skip


def pepper(settings: Settings) -> bytes:
    """The pepper in force: `[api] pepper`; in local mode, else a generated one kept in the
    workspace (mode 0600); outside local mode a missing or placeholder pepper stops start-up."""
    given = settings.api.pepper
    if settings.mode != "local" or (given is not None and given.get_secret_value()):
        return require_secret(given, section="api", field="pepper").encode()
    path = Workspace(settings.workspace).ensure().root / PEPPER_FILE
    return _local_pepper(path)


def _local_pepper(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            raise ConfigError(
                f"{path} can be read by other users", hint=f"run `chmod 600 {path}`"
            ) from None
        value = path.read_text(encoding="ascii").strip()
        if len(value) < 32:
            raise ConfigError(
                f"{path} holds no usable pepper", hint="remove it to make a new one"
            ) from None
        register_secret(value)
        return value.encode()
    except OSError as exc:
        raise WorkspaceError(f"cannot create {path}: {exc.strerror}") from None
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    register_secret(value)
    return value.encode()


def digest(key: str, pepper_value: bytes) -> str:
    return hmac.new(pepper_value, key.encode(), hashlib.sha256).hexdigest()


def prefix_of(key: str) -> str | None:
    """The public prefix of a well-formed key, else None (nothing else is looked at)."""
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != KIND or len(parts[1]) != ID_LENGTH:
        return None
    if len(parts[2]) != SECRET_LENGTH or not all(c in ALPHABET for c in parts[1] + parts[2]):
        return None
    return f"{KIND}_{parts[1]}"


def parse_expiry(text: str | None, now: datetime) -> datetime | None:
    """`90d`, `12h`, `30m` or an ISO date -> the moment the key stops working."""
    if not text:
        return None
    units = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
    if text[-1:] in units and text[:-1].isdigit() and int(text[:-1]) > 0:
        return now + timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--expires {text!r}: use 90d, 12h, 30m, 2w or an ISO date") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment <= now:
        raise UsageError(f"--expires {text!r} is in the past")
    return moment


def create_key(
    engine: Engine, pepper_value: bytes, name: str, scopes: list[Scope], expires: datetime | None
) -> tuple[str, KeyInfo]:
    """Make a key; the returned key string is the only copy there will ever be."""
    if not name.strip() or len(name) > 120:
        raise UsageError("a key needs a name of 1 to 120 characters")
    public = f"{KIND}_" + "".join(secrets.choice(ALPHABET) for _ in range(ID_LENGTH))
    key = f"{public}_" + "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))
    row = ApiKey(
        name=name.strip(), prefix=public, digest=digest(key, pepper_value),
        scopes=[str(s) for s in scopes], created_at=datetime.now(UTC), expires_at=expires,
        request_count=0,
    )  # fmt: skip
    with Session(engine) as session, session.begin():
        session.add(row)
        session.flush()
        info = _info(row)
    return key, info


def find_key(engine: Engine, key: str, pepper_value: bytes) -> KeyInfo | None:
    """The stored key `key` is, compared in constant time; None when there is none."""
    public = prefix_of(key)
    if public is None:
        return None
    with Session(engine) as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == public)).first()
        expected = row.digest if row is not None else "0" * 64
        matches = hmac.compare_digest(expected, digest(key, pepper_value))
        return _info(row) if row is not None and matches else None


def list_keys(engine: Engine) -> list[KeyInfo]:
    with Session(engine) as session:
        return [_info(row) for row in session.scalars(select(ApiKey).order_by(ApiKey.id))]


def revoke_key(engine: Engine, key_id: int) -> KeyInfo:
    with Session(engine) as session, session.begin():
        row = session.get(ApiKey, key_id)
        if row is None:
            from marketloop.api.errors import NotFound

            raise NotFound(f"no API key with id {key_id}", hint="see `marketloop keys list`")
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
        return _info(row)


def record_usage(engine: Engine, usage: dict[int, tuple[int, datetime]]) -> None:
    """Add request counts and move last-used times forward: one statement per key."""
    with Session(engine) as session, session.begin():
        for key_id, (count, last) in usage.items():
            session.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id)
                .values(request_count=ApiKey.request_count + count, last_used_at=last)
            )


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=row.id, name=row.name, prefix=row.prefix,
        scopes=tuple(Scope(s) for s in row.scopes if s in Scope.__members__),
        created_at=_utc(row.created_at) or row.created_at, expires_at=_utc(row.expires_at),
        revoked_at=_utc(row.revoked_at), last_used_at=_utc(row.last_used_at),
        request_count=row.request_count,
    )  # fmt: skip


def _utc(moment: datetime | None) -> datetime | None:  # SQLite returns naive datetimes
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
