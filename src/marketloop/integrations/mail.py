"""Email over SMTP (stdlib smtplib): alerts, escalations to the plan's email contacts, and the
weekly memo as HTML with a plain-text part.

    [email]
    host = "smtp.example.com"
    port = 587
    security = "starttls"        # or "tls" (implicit TLS, port 465), or "none" (loopback only)
    user = "marketloop@example.com"
    sender = "marketloop <marketloop@example.com>"
    # password: MARKETLOOP_EMAIL_PASSWORD (never logged, never in an error message)

Outside text never reaches a header as is: a subject loses its control characters (a CR/LF in
it would start a new header, e.g. a `Bcc:`), and an address must be one plain `local@domain`.
Every exchange is counted in `marketloop_integration_requests_total{service="email"}` with the
SMTP reply code (250 sent, 535 login refused, ...; `error`: no answer). A refusal is one line
that says what to check; a 4xx reply or a lost connection is transient (try again later).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from types import TracebackType
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from marketloop.errors import ConfigError, IntegrationError, TransientError
from marketloop.integrations.config import is_loopback
from marketloop.observe.metrics import record_integration_request
from marketloop.section import Section

CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class EmailSettings(Section):
    host: str | None = Field(None, description="SMTP server")
    port: int = Field(587, ge=1, le=65535, description="587 for starttls, 465 for tls")
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls, tls (implicit) or none (127.0.0.1/localhost only)"
    )
    user: str | None = Field(None, description="login; none: no AUTH")
    password: SecretStr | None = Field(None, description="MARKETLOOP_EMAIL_PASSWORD")
    sender: str = Field("marketloop <marketloop@localhost>", description="the From: header")
    to: list[str] = Field(default_factory=list, description="who gets the weekly memo")
    ca_file: Path | None = Field(None, description="CA bundle for the server; default: system")
    timeout: float = Field(30.0, gt=0, description="seconds for one SMTP exchange")

    @model_validator(mode="after")
    def _no_clear_text_off_host(self) -> EmailSettings:
        if self.security == "none" and self.host and not is_loopback(self.host):
            raise ValueError(
                "email.security = none is only allowed to 127.0.0.1/localhost (a login and the "
                "mail would cross the network in clear text); use starttls or tls"
            )
        return self


class EmailError(IntegrationError):
    pass


class EmailUnavailable(TransientError, EmailError):
    pass


def header_text(text: str, limit: int = 250) -> str:
    """Outside text for a header: control characters (CR, LF, ...) become one space."""
    return CONTROL.sub(" ", text).strip()[:limit]


def address(text: str) -> str:
    """One plain `local@domain`, or ConfigError (no display names, lists or line breaks)."""
    if not PLAIN_ADDRESS.fullmatch(text) or parseaddr(text)[1] != text:
        raise ConfigError(
            f"not one plain email address: {header_text(text, 80)!r}",
            hint="write it as name@example.com (one address per entry)",
        )
    return text


def message(
    sender: str, to: list[str], subject: str, text: str, html: str | None = None
) -> EmailMessage:
    """The message (pure): text, and HTML as the alternative when given."""
    mail = EmailMessage()
    mail["From"] = header_text(sender)
    mail["To"] = ", ".join(address(a) for a in to)
    mail["Subject"] = header_text(subject)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(mail["From"])[1].rpartition("@")[2] or "localhost"
    mail["Message-ID"] = make_msgid("marketloop", domain=domain)
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    return mail


class EmailClient:
    """One SMTP session, opened at the first send and closed with the client."""

    def __init__(self, settings: EmailSettings, password: str | None = None) -> None:
        """`password`: default `settings.password` (MARKETLOOP_EMAIL_PASSWORD)."""
        if password is None and settings.password is not None:
            password = settings.password.get_secret_value()
        if not settings.host:
            raise ConfigError(
                "email.host is not set", hint="set [email] host, or MARKETLOOP_EMAIL_HOST"
            )
        if settings.user and not password:
            raise ConfigError(
                "email.password is not set (email.user is)",
                hint="set MARKETLOOP_EMAIL_PASSWORD, or unset email.user for no login",
            )
        self.settings = settings
        self._password = password
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> EmailClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, to: list[str], subject: str, text: str, html: str | None = None) -> str:
        """Send one message; its Message-ID."""
        mail = message(self.settings.sender, to, subject, text, html)
        self._exchange(lambda smtp: smtp.send_message(mail), f"mail to {mail['To']}")
        return str(mail["Message-ID"])

    def check(self) -> str:
        """Connect and log in (nothing sent): what the server said it is."""
        self._exchange(lambda smtp: smtp.noop(), "a check")
        return f"{self.settings.host}:{self.settings.port} ({self.settings.security})"

    def _exchange(self, act: Callable[[smtplib.SMTP], object], what: str) -> None:
        try:
            act(self._session())
        except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
            status, error = self._failure(exc, what)
            record_integration_request("email", status)
            if not isinstance(exc, smtplib.SMTPRecipientsRefused):
                self.close()  # the session is in an unknown state
            raise error from None
        record_integration_request("email", 250)

    def _failure(self, exc: Exception, what: str) -> tuple[int | str, EmailError]:
        """The SMTP status to count, and the one-line error saying what to check."""
        where = f"{self.settings.host}:{self.settings.port}"
        if isinstance(exc, smtplib.SMTPResponseException):
            return exc.smtp_code, self._refusal(exc, what)
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refused = ", ".join(f"{a} ({code})" for a, (code, _) in exc.recipients.items())
            return 550, EmailError(
                f"the SMTP server refused every recipient of {what}: {refused}",
                hint="check the addresses in the plan or [email] to",
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return "error", EmailError(
                f"{where}: {exc}",
                hint="check email.security (starttls, tls or none) and whether to log in "
                "(email.user)",
            )
        if isinstance(exc, ssl.SSLError):
            return "error", EmailError(
                f"TLS with {where} failed: {exc.reason}",
                hint="check email.security and email.port (starttls: 587, tls: 465), and "
                "email.ca_file for a private CA",
            )
        return "error", EmailUnavailable(
            f"the SMTP server {where} did not take {what}: {type(exc).__name__}",
            hint="check email.host and email.port; try again later",
        )

    def _session(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        host = s.host or ""
        context = ssl.create_default_context(cafile=s.ca_file)
        smtp: smtplib.SMTP
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                smtp.starttls(context=context)
            if s.user:
                smtp.login(s.user, self._password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _refusal(self, exc: smtplib.SMTPResponseException, what: str) -> EmailError:
        reply = exc.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        line = f"the SMTP server answered {exc.smtp_code} to {what}: {header_text(text, 200)}"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return EmailError(
                line, hint="check email.user and MARKETLOOP_EMAIL_PASSWORD (an app password "
                "where the provider requires one)",
            )  # fmt: skip
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return EmailError(line, hint="check email.sender: the server must accept it as From")
        if 400 <= exc.smtp_code < 500:
            return EmailUnavailable(line, hint="a temporary refusal: try again later")
        return EmailError(line, hint="check [email] settings and the recipients")
