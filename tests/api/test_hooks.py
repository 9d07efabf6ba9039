"""Inbound hook signatures: Standard Webhooks v1 (webhook-id, webhook-timestamp,
webhook-signature: v1,<base64>; whsec_ secrets), checked against the spec's own example."""

from __future__ import annotations

import base64

import pytest

from marketloop.api.deps import SignedHookDep
from marketloop.api.errors import Unauthenticated
from marketloop.api.hooks import sign, verify
from marketloop.errors import ConfigError

# the example of the Standard Webhooks specification (github.com/standard-webhooks)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(signature: str, *, stamp: int = TIMESTAMP, msg: str = MSG_ID) -> dict[str, str]:
    return {"webhook-id": msg, "webhook-timestamp": str(stamp), "webhook-signature": signature}


def test_matches_the_specification_example() -> None:
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == EXPECTED
    assert verify(SECRET, headers(EXPECTED), BODY, now=TIMESTAMP) == MSG_ID


def test_any_of_several_signatures_may_match() -> None:
    other = "v1," + base64.b64encode(b"x" * 32).decode()
    assert verify(SECRET, headers(f"{other} {EXPECTED}"), BODY, now=TIMESTAMP + 299) == MSG_ID


@pytest.mark.parametrize(
    ("changed", "now"),
    [
        ({"body": BODY + b" "}, TIMESTAMP),
        ({"msg": "msg_other"}, TIMESTAMP),
        ({"signature": EXPECTED.replace("v1,", "v2,")}, TIMESTAMP),
        ({"signature": EXPECTED[:-2] + "A="}, TIMESTAMP),
        ({}, TIMESTAMP + 301),  # replayed more than five minutes later
        ({}, TIMESTAMP - 301),  # from the future
        ({"stamp": "yesterday"}, TIMESTAMP),
        ({"signature": ""}, TIMESTAMP),
    ],
)
def test_refused(changed: dict, now: int) -> None:
    sent = {
        "webhook-id": changed.get("msg", MSG_ID),
        "webhook-timestamp": str(changed.get("stamp", TIMESTAMP)),
        "webhook-signature": changed.get("signature", EXPECTED),
    }
    with pytest.raises(Unauthenticated) as caught:
        verify(SECRET, sent, changed.get("body", BODY), now=now)
    assert caught.value.http_status == 401 and "WWW-Authenticate" in caught.value.headers


@pytest.mark.parametrize("secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!"])
def test_bad_secrets_are_config_errors(secret: str) -> None:
    with pytest.raises(ConfigError):
        sign(secret, MSG_ID, TIMESTAMP, BODY)


def test_signed_hook_dependency_on_a_request(make_settings) -> None:
    import time

    from fastapi.testclient import TestClient

    from marketloop.api.app import create_app

    app = create_app(make_settings(api={"hooks": {"zapier": {"secret": SECRET}}}))

    async def receive(body: SignedHookDep) -> dict[str, int]:
        return {"bytes": len(body)}

    app.add_api_route("/test-hooks/{name}", receive, methods=["POST"])
    now = int(time.time())
    good = headers(sign(SECRET, MSG_ID, now, BODY), stamp=now)
    with TestClient(app) as client:
        assert client.post("/test-hooks/zapier", content=BODY, headers=good).json() == {
            "bytes": len(BODY)
        }
        assert (
            client.post("/test-hooks/zapier", content=BODY + b"!", headers=good).status_code == 401
        )
        assert client.post("/test-hooks/n8n", content=BODY, headers=good).status_code == 404


def test_accepts_what_the_reference_library_signs() -> None:
    from datetime import UTC, datetime

    from standardwebhooks import Webhook

    sent_at = datetime.now(UTC).replace(microsecond=0)
    reference = Webhook(SECRET).sign(MSG_ID, sent_at, BODY.decode())
    stamp = int(sent_at.timestamp())
    assert verify(SECRET, headers(reference, stamp=stamp), BODY) == MSG_ID
