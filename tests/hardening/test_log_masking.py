"""Defect 5 of issue 14: secrets are masked in every log path and every value type. With
`--log-level debug`, httpcore logged a token that a server echoed in a header in clear
(`(b'X-Echo-Token', b'pat-na1-...')`), and structlog masking skipped bytes, dicts and lists."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from marketloop.observe.logging import MASK, configure_logging, get_logger, register_secret

SHAPED = "pat-na1-11111111-2222-3333-4444-555555555555"  # HubSpot's shape
UNSHAPED = "Zq8unregistered0echo0value"  # no known prefix, not registered: its header masks it
REGISTERED = "plainRegisteredSecret42"


class Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("X-Echo-Token", str(self.headers.get("Authorization", "")))
        self.send_header("X-Api-Key", UNSHAPED)
        self.send_header("X-Debug", f"you are {REGISTERED}")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> None:
    """`--log-level debug`; the stdlib records reach pytest's handler (caplog), since pytest's
    own handlers on the root logger stop basicConfig from adding the stderr one. httpx and
    httpcore log at DEBUG here even when an earlier test in the process used a client that
    quiets them (integrations.redact.quiet_http_logs)."""
    register_secret(REGISTERED)
    configure_logging("debug", "console")
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test


@pytest.mark.usefixtures("debug_log")
def test_the_stdlib_debug_log_of_httpx_masks_echoed_tokens(
    echo_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with httpx.Client() as client:
        response = client.get(echo_url, headers={"Authorization": f"Bearer {SHAPED}"})
    assert response.headers["X-Api-Key"] == UNSHAPED  # the server did echo them
    err = caplog.text
    assert "receive_response_headers" in err  # httpcore did log the headers
    for secret in (SHAPED, UNSHAPED, REGISTERED, "pat-na1"):
        assert secret not in err, err


@pytest.mark.usefixtures("debug_log")
def test_stdlib_arguments_and_tracebacks_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("some.library")
    log.debug("headers %r", [(b"Authorization", b"Bearer abc.def"), (b"X-Token", b"q1w2e3r4t5")])
    try:
        raise RuntimeError(f"server said {REGISTERED}")
    except RuntimeError:
        log.exception("failed with %s", {"api_key": "k-123456789"})
    err = caplog.text
    for secret in ("abc.def", "q1w2e3r4t5", REGISTERED, "k-123456789"):
        assert secret not in err, err
    assert "RuntimeError" in err and "failed with" in err


@pytest.mark.usefixtures("debug_log")
def test_structlog_masks_every_value_type(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("debug", "console")  # bound to the captured stderr
    get_logger("test").info(
        "answer",
        raw=f"echo {REGISTERED}".encode(),
        nested={"outer": {"password": "hunter2hunter2", "list": [REGISTERED]}},
        headers=[(b"X-Echo-Token", SHAPED.encode())],
        pair=("cookie", "session=abcdef123456"),
        error=ValueError(f"token {REGISTERED}"),
    )
    err = capsys.readouterr().err
    assert "answer" in err and "outer" in err
    for secret in (REGISTERED, "hunter2hunter2", SHAPED, "abcdef123456"):
        assert secret not in err, err


def test_mask_value_keeps_shapes() -> None:
    from marketloop.observe.logging import mask_value

    register_secret(REGISTERED)
    masked = mask_value({"a": [REGISTERED, 3, None], "b": (b"x", REGISTERED.encode()), "c": 1.5})
    assert masked == {"a": [MASK, 3, None], "b": (b"x", MASK.encode()), "c": 1.5}
    assert mask_value("page_token, next") == "page_token, next"


def test_masking_a_megabyte_line_is_linear() -> None:
    """The key=value pattern is anchored on the key word: a 1 MB line of word characters once
    took it minutes (each start position scanned to the end and back)."""
    from marketloop.observe.logging import mask_secrets

    line = "x" * 1_000_000
    assert mask_secrets(line) == line
    assert mask_secrets(line + " api_key=abc") == line + " api_key=***"


#: values a log line may carry next to a key-like word: quotes of both kinds, `&`, markup,
#: Rich's `[/]`, a comma and a parenthesis, NUL and an ANSI escape
HOSTILE = [
    "'\"&<script>alert(1)</script>",
    "[/]x[bold red]",
    "a,b)c",
    "x\x00\x1b[31my",
    'it\'s "q"',
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_key_like_word_masks_no_text_that_is_not_its_value(value: str) -> None:
    """`'passwd', 'email'` in a list, or `passwd', then`, is no key and value: the text after
    it was masked (and a hostile value next to it cut at its `]`)."""
    from marketloop.observe.logging import mask_secrets

    for text in [
        f"columns ('user', 'passwd', {value!r})",
        f"missing passwd', then {value}",
        f'["token", {value!r}, "cookie", "x"]',
        f"label 'api_key', {value!r}",
    ]:
        assert mask_secrets(text) == text
    query = f"https://a.test/?token=abc&page={value!r}"  # the next parameter is not the token
    assert mask_secrets(query) == f"https://a.test/?token={MASK}&page={value!r}"


@pytest.mark.parametrize("value", HOSTILE)
def test_a_real_secret_in_those_positions_is_masked_whole(value: str) -> None:
    """A secret holding quotes, `&` or `[/]` is masked to its closing quote: `'"&x'` was not
    masked at all, `"[/]x"` was cut at its `]`; the text after it is kept."""
    import json

    from marketloop.observe.logging import mask_secrets

    quote = repr(value)[0]
    assert mask_secrets(f"password={value!r} next") == f"password={quote}{MASK}{quote} next"
    assert (
        mask_secrets(f"passwd: {value!r}, user: 'bob'") == f"passwd: {quote}***{quote}, user: 'bob'"
    )
    assert mask_secrets(json.dumps({"password": value, "user": "<b>"})) == json.dumps(
        {"password": MASK, "user": "<b>"}
    )
    header = repr([(b"X-Api-Token", value.encode()), (b"Host", b"a.test")])
    masked = mask_secrets(header)
    assert masked.endswith("), (b'Host', b'a.test')]")
    assert masked.startswith("[(b'X-Api-Token', b") and MASK in masked
    assert value.encode() not in masked.encode() and "script" not in masked and "bold" not in masked
    bare = value.replace(" ", "").replace("'", "").replace('"', "").replace(",", "")
    assert mask_secrets(f"token={bare} next") == f"token={MASK} next"


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cookie_header_is_masked_whole(value: str) -> None:
    """Every pair of a cookie header is masked, not only the first (`cookie: a=b; c=d` showed
    `c=d`), whatever the pairs hold; the next line is kept."""
    from marketloop.observe.logging import mask_secrets

    pairs = f"sid=abc123; tok={value}; c=d"
    for key in ("Cookie: ", "cookie=", "Set-Cookie:", '"cookie": ', "COOKIES = "):
        assert mask_secrets(f"{key}{pairs}") == f"{key}{MASK}"
        assert mask_secrets(f"sent {key}{pairs}\nHost: a.test") == f"sent {key}{MASK}\nHost: a.test"
    assert mask_secrets(f"cookie: 'x'; tok={value}") == f"cookie: {MASK}"  # no early quote end
    quoted = repr(pairs)
    assert mask_secrets(f"cookie={quoted} next") == f"cookie={quoted[0]}{MASK}{quoted[0]} next"
    header = repr([(b"Cookie", pairs.encode()), (b"Host", b"a.test")])
    masked = mask_secrets(header)
    assert masked.endswith("), (b'Host', b'a.test')]") and "c=d" not in masked


def test_a_set_cookie_header_with_its_attributes_is_masked_whole() -> None:
    from marketloop.observe.logging import mask_secrets

    line = "set-cookie: sid=s3cr3t; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/; HttpOnly"
    assert mask_secrets(line) == f"set-cookie: {MASK}"
    long = "cookie: " + "a=b; " * 200_000  # a megabyte of pairs: linear
    assert mask_secrets(long) == f"cookie: {MASK}"


@pytest.mark.usefixtures("debug_log")
def test_both_log_paths_mask_every_cookie_pair(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("some.library").debug("request headers: Cookie: sid=s1; other=s2secret")
    configure_logging("debug", "console")  # bound to the captured stderr
    get_logger("test").info("sent", detail="Cookie: sid=s1; other=s3secret")
    err = caplog.text + capsys.readouterr().err
    assert "request headers" in err and "sent" in err
    for secret in ("sid=s1", "s2secret", "s3secret", "other="):
        assert secret not in err, err
