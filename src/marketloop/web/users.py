"""Dashboard users: roles mapped onto the API's scopes, Argon2 hashes (pwdlib), lockout.

    viewer  read
    editor  read, write, run       (review briefs, record plan events, start runs)
    admin   read, write, run, admin (API keys, users)

`authenticate` counts failed passwords per user: after `MAX_FAILURES` in a row the account is
locked for `LOCKOUT`, whatever password is sent. Unknown names cost a hash too, so timing does
not tell which names exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy import Engine

from marketloop.api.scopes import Scope
from marketloop.errors import UsageError
from marketloop.web.tables import WebUser

ROLES: dict[str, frozenset[Scope]] = {
    "viewer": frozenset({Scope.read}),
    "editor": frozenset({Scope.read, Scope.write, Scope.run}),
    "admin": frozenset(Scope),
}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


class LoginRefused(Exception):
    """Wrong name or password, or a locked or disabled account (one message for all)."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None
    session_epoch: int

    @property
    def scopes(self) -> frozenset[Scope]:
        return ROLES.get(self.role, frozenset())

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "role": self.role,
                "created_at": self.created_at, "disabled_at": self.disabled_at}  # fmt: skip


@cache
def _hasher():  # type: ignore[no-untyped-def]
    from pwdlib import PasswordHash

    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"unknown role {role[:40]!r}; choose from {', '.join(ROLES)}")
    return role


def create_user(engine: Engine, name: str, password: str, role: str) -> UserInfo:
    if not NAME.match(name):
        raise UsageError(
            f"user name {name[:80]!r} is not allowed",
            hint="1-64 letters, digits, . _ @ -, starting with a letter or digit",
        )
    check_role(role)
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    with engine.begin() as con:
        if con.scalar(sa.select(WebUser.id).where(WebUser.name == name)) is not None:
            raise UsageError(f"user {name} exists", hint="choose another name")
        row = {"name": name, "password_hash": hash_password(password), "role": role,
               "created_at": datetime.now(UTC), "session_epoch": 0, "failed_logins": 0}  # fmt: skip
        con.execute(sa.insert(WebUser).values(**row))
    user = find_user(engine, name)
    assert user is not None
    return user


def _info(row: WebUser | sa.Row) -> UserInfo:  # type: ignore[type-arg]
    return UserInfo(row.id, row.name, row.role, _utc(row.created_at),  # type: ignore[arg-type]
                    _utc(row.disabled_at), row.session_epoch)  # fmt: skip


def find_user(engine: Engine, name: str) -> UserInfo | None:
    with engine.connect() as con:
        row = con.execute(sa.select(WebUser).where(WebUser.name == name)).first()
    return _info(row) if row else None


def get_user(engine: Engine, user_id: int) -> UserInfo | None:
    with engine.connect() as con:
        row = con.execute(sa.select(WebUser).where(WebUser.id == user_id)).first()
    return _info(row) if row else None


def list_users(engine: Engine) -> list[UserInfo]:
    with engine.connect() as con:
        return [_info(r) for r in con.execute(sa.select(WebUser).order_by(WebUser.name))]


def disable_user(engine: Engine, name: str) -> UserInfo:
    """Disable `name` and end all of its sessions (the epoch moves on)."""
    with engine.begin() as con:
        done = con.execute(
            sa.update(WebUser).where(WebUser.name == name, WebUser.disabled_at.is_(None))
            .values(disabled_at=datetime.now(UTC), session_epoch=WebUser.session_epoch + 1)
        ).rowcount  # fmt: skip
    user = find_user(engine, name)
    if user is None:
        raise UsageError(f"no user {name[:80]!r}", hint="`marketloop users list` shows them")
    if not done:
        raise UsageError(f"user {name} is already disabled")
    return user


def end_sessions(engine: Engine, user_id: int) -> None:
    """Logout everywhere: every cookie issued to this user stops working."""
    with engine.begin() as con:
        con.execute(sa.update(WebUser).where(WebUser.id == user_id)
                    .values(session_epoch=WebUser.session_epoch + 1))  # fmt: skip


def authenticate(engine: Engine, name: str, password: str) -> UserInfo:
    now = datetime.now(UTC)
    with engine.connect() as con:
        row = con.execute(sa.select(WebUser).where(WebUser.name == name[:64])).first()
    if row is None:
        _hasher().verify(password, _dummy_hash())  # same cost as a real check
        raise LoginRefused
    locked = _utc(row.locked_until)
    if row.disabled_at is not None or (locked is not None and locked > now):
        raise LoginRefused
    if not _hasher().verify(password, row.password_hash):
        failures = row.failed_logins + 1
        values: dict[str, object] = {"failed_logins": failures}
        if failures >= MAX_FAILURES:
            values = {"failed_logins": 0, "locked_until": now + LOCKOUT}
        with engine.begin() as con:
            con.execute(sa.update(WebUser).where(WebUser.id == row.id).values(**values))
        raise LoginRefused
    with engine.begin() as con:
        con.execute(sa.update(WebUser).where(WebUser.id == row.id)
                    .values(failed_logins=0, locked_until=None))  # fmt: skip
    return _info(row)


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-password-of-anyone")


def _utc(moment: datetime | None) -> datetime | None:  # SQLite returns naive datetimes
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
