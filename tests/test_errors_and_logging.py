import json

import pytest

from marketloop.errors import CredentialError, IngestError, MarketloopError, TransientError
from marketloop.observe.logging import configure_logging, get_logger


class RateLimited(IngestError, TransientError):
    pass


def test_transient_marker_and_hint() -> None:
    error = RateLimited("429 from GA4", hint="wait", retry_after=3.0)
    assert isinstance(error, MarketloopError)
    assert error.transient and error.retry_after == 3.0
    assert str(error) == "429 from GA4 (wait)"
    assert not CredentialError("401").transient


def test_secrets_never_reach_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    get_logger("t").info(
        "calling api", token="pat-na1-abcdef", url="https://x", header="Bearer abc.def-123"
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["token"] == "***"
    assert line["header"] == "Bearer ***"
    assert "abcdef" not in json.dumps(line)
