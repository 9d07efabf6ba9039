"""A real SMTP server in the test process (aiosmtpd): STARTTLS or implicit TLS with a throwaway
certificate, AUTH LOGIN/PLAIN with one user, and an inbox of what it accepted."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from marketloop.fakes.server import _free_port
from marketloop.sample.tls import make_certificate, server_context

USER, PASSWORD = "marketloop@example.com", "s3cret-pa55word"


@dataclass
class Inbox:
    envelopes: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:  # fmt: skip
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 2.0.0 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.content, policy=email.policy.default)  # type: ignore[misc]
            for e in self.envelopes
        ]


@dataclass
class Smtp:
    inbox: Inbox
    port: int
    ca_file: Path

    def settings(self, security: str = "starttls", **more: Any) -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": self.port, "security": security, "user": USER,
                "password": PASSWORD, "ca_file": str(self.ca_file),
                "sender": "marketloop <marketloop@example.com>"} | more  # fmt: skip


def _login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(folder: Path, security: str = "starttls") -> Iterator[Smtp]:
    """An SMTP server on 127.0.0.1 that requires TLS (as `security` says) and a login."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = make_certificate(folder)
    context = server_context(cert, key)
    inbox = Inbox()
    port = _free_port("127.0.0.1")
    tls: dict[str, Any] = (
        # implicit TLS: the whole connection is TLS, which aiosmtpd's AUTH checks do not see
        # (AUTH is offered and checked, but not demanded)
        {"ssl_context": context, "auth_require_tls": False, "auth_required": False}
        if security == "tls"
        else {"tls_context": context, "require_starttls": True, "auth_required": True}
    )  # fmt: skip
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_login,
        server_hostname="127.0.0.1", **tls,
    )  # fmt: skip
    controller.start()
    try:
        yield Smtp(inbox, port, cert)
    finally:
        controller.stop()
