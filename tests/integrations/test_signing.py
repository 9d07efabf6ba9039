import time

from marketloop.integrations.signing import sign, verify


def test_round_trip_and_tamper() -> None:
    header = sign(b'{"a":1}', "s3cret")
    assert verify(b'{"a":1}', header, "s3cret")
    assert not verify(b'{"a":2}', header, "s3cret")
    assert not verify(b'{"a":1}', header, "other")
    assert not verify(b'{"a":1}', "garbage", "s3cret")


def test_old_signatures_are_replays() -> None:
    old = sign(b"x", "s", int(time.time()) - 3600)
    assert not verify(b"x", old, "s")
    assert sign(b"x", "s", 1700000000) == sign(b"x", "s", 1700000000)
