"""Email over SMTP against a real server in the test process (aiosmtpd): STARTTLS and implicit
TLS with a login, HTML with a text part, hostile subjects and addresses, refusals explained,
and the password never in a message or a log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.smtp import PASSWORD, Smtp, smtp_server

from marketloop.errors import ConfigError
from marketloop.integrations.mail import (
    EmailClient,
    EmailError,
    EmailSettings,
    EmailUnavailable,
    message,
)
from marketloop.observe import metrics

HOSTILE = "Blocker <script>alert(1)</script> \"'& =SUM(A1) [/b]"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[Smtp]:
    with smtp_server(tmp_path) as server:
        yield server


def sent(status: str) -> float:
    value = metrics.REGISTRY.get_sample_value(
        "marketloop_integration_requests_total", {"service": "email", "status": status}
    )
    return value or 0.0


def test_starttls_login_and_a_memo_with_html_and_text(smtp: Smtp) -> None:
    before = sent("250")
    settings = EmailSettings.model_validate(smtp.settings())
    with EmailClient(settings, PASSWORD) as mail:
        msgid = mail.send(["sam@example.com"], "Weekly memo", "plain " + HOSTILE,
                          "<p>" + "&lt;script&gt;" + "</p>")  # fmt: skip
        mail.send(["alex@example.com"], "second on the same session", "text")
    [first, second] = smtp.inbox.messages()
    assert smtp.inbox.envelopes[0].rcpt_tos == ["sam@example.com"]
    assert first["Message-ID"] == msgid and first["Subject"] == "Weekly memo"
    assert first.get_content_type() == "multipart/alternative"
    text = first.get_body(("plain",))
    html = first.get_body(("html",))
    assert text is not None and HOSTILE in text.get_content()
    assert html is not None and "&lt;script&gt;" in html.get_content()
    assert second["To"] == "alex@example.com"
    assert sent("250") == before + 2


def test_implicit_tls(tmp_path: Path) -> None:
    with smtp_server(tmp_path, "tls") as smtp:
        settings = EmailSettings.model_validate(smtp.settings("tls"))
        with EmailClient(settings, PASSWORD) as mail:
            mail.send(["sam@example.com"], "over TLS", "hello")
        assert [m["Subject"] for m in smtp.inbox.messages()] == ["over TLS"]


def test_a_crlf_in_a_subject_injects_no_header(smtp: Smtp) -> None:
    settings = EmailSettings.model_validate(smtp.settings())
    evil = "Escalation: day7\r\nBcc: victim@example.org\r\n\r\nforged body\u2028X-Evil: 1"
    with EmailClient(settings, PASSWORD) as mail:
        mail.send(["sam@example.com"], evil, "body")
    [received] = smtp.inbox.messages()
    assert received["Bcc"] is None and received["X-Evil"] is None
    assert smtp.inbox.envelopes[0].rcpt_tos == ["sam@example.com"]
    assert received["Subject"] == "Escalation: day7 Bcc: victim@example.org forged body X-Evil: 1"
    assert received.get_content().strip() == "body"


@pytest.mark.parametrize(
    "to",
    ["sam@example.com\r\nBcc: x@example.org", "Sam <sam@example.com>", "a@example.com, b@x.org",
     "=cmd|'/c calc'!A1@example.com", "nobody"],
)  # fmt: skip
def test_an_address_is_one_plain_address(to: str) -> None:
    with pytest.raises(ConfigError) as caught:
        message("marketloop@example.com", [to], "s", "t")
    assert "\n" not in caught.value.message and caught.value.hint


def test_a_wrong_password_is_explained_and_never_shown(
    smtp: Smtp, caplog: pytest.LogCaptureFixture
) -> None:
    settings = EmailSettings.model_validate(smtp.settings())
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-" + PASSWORD
    with EmailClient(settings, wrong) as mail, pytest.raises(EmailError) as caught:
        mail.send(["sam@example.com"], "s", "t")
    assert "535" in caught.value.message and "MARKETLOOP_EMAIL_PASSWORD" in (
        caught.value.hint or ""
    )
    assert not isinstance(caught.value, EmailUnavailable)
    assert wrong not in str(caught.value) and wrong not in caplog.text
    assert smtp.inbox.envelopes == []


def test_a_refused_recipient_and_a_server_that_is_gone(smtp: Smtp) -> None:
    smtp.inbox.refuse.add("gone@example.com")
    settings = EmailSettings.model_validate(smtp.settings())
    with EmailClient(settings, PASSWORD) as mail, pytest.raises(EmailError) as caught:
        mail.send(["gone@example.com"], "s", "t")
    assert "gone@example.com (550)" in caught.value.message
    closed = EmailSettings.model_validate(smtp.settings(port=1, timeout=2))
    with EmailClient(closed, PASSWORD) as mail, pytest.raises(EmailUnavailable):
        mail.send(["sam@example.com"], "s", "t")


def test_starttls_needs_a_trusted_certificate(smtp: Smtp) -> None:
    settings = EmailSettings.model_validate(smtp.settings(ca_file=None))
    with EmailClient(settings, PASSWORD) as mail, pytest.raises(EmailError) as caught:
        mail.send(["sam@example.com"], "s", "t")
    assert "TLS" in caught.value.message and "ca_file" in (caught.value.hint or "")
    assert smtp.inbox.envelopes == []


def test_clear_text_only_to_loopback_and_a_login_needs_a_password() -> None:
    with pytest.raises(ValueError, match=r"only allowed to 127\.0\.0\.1"):
        EmailSettings.model_validate({"host": "smtp.example.com", "security": "none"})
    settings = EmailSettings.model_validate({"host": "127.0.0.1", "user": "u"})
    with pytest.raises(ConfigError, match=r"email\.password is not set"):
        EmailClient(settings, None)
