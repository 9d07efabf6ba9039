"""Standard Webhooks signatures: the specification's test vector, secrets, tampering, replays."""

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from marketloop.errors import ConfigError
from marketloop.integrations.signing import (
    legacy_sign,
    new_secret,
    sign_headers,
    signature,
    signing_key,
    verify,
)

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_specifications_test_vector() -> None:
    body = b'{"test": 2432232314}'
    got = signature(signing_key(VECTOR_SECRET), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("secret", [VECTOR_SECRET, new_secret(), new_secret()])
def test_the_standardwebhooks_library_accepts_what_we_sign(secret: str) -> None:
    body = b'{"type":"ping","data":{"q":"<script>\\"\'&"}}'
    headers = sign_headers(signing_key(secret), "evt_1", body)
    assert Webhook(secret).verify(body, headers) == {"type": "ping", "data": {"q": "<script>\"'&"}}
    assert verify(body, headers, signing_key(secret))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_a_secret_without_the_prefix_is_the_raw_key() -> None:
    body = b"{}"
    headers = sign_headers(signing_key("old-secret"), "evt_2", body)
    Webhook(b"old-secret").verify(body, headers)  # a receiver passes the bytes


def test_tampering_a_wrong_key_and_replays_fail() -> None:
    key = signing_key(VECTOR_SECRET)
    headers = sign_headers(key, "evt_3", b'{"a":1}')
    assert verify(b'{"a":1}', headers, key)
    assert not verify(b'{"a":2}', headers, key)
    assert not verify(b'{"a":1}', {**headers, "webhook-id": "evt_4"}, key)
    assert not verify(b'{"a":1}', headers, signing_key(new_secret()))
    assert not verify(b'{"a":1}', {"webhook-signature": "garbage"}, key)
    old = sign_headers(key, "evt_3", b"x", int(time.time()) - 3600)
    assert not verify(b"x", old, key)


@pytest.mark.parametrize("secret", ["whsec_", "whsec_short", "whsec_not base64!!", "whsec_a_b"])
def test_a_malformed_whsec_secret_is_a_config_error(secret: str) -> None:
    with pytest.raises(ConfigError, match="base64 of at least 16 bytes") as info:
        signing_key(secret)
    assert "whsec_" in str(info.value.hint)


def test_the_legacy_header_keeps_its_old_form() -> None:
    assert legacy_sign(b"x", "s", 1700000000) == legacy_sign(b"x", "s", 1700000000)
    assert legacy_sign(b"x", "s", 1700000000).startswith("t=1700000000,v1=")
