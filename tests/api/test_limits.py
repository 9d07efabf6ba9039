"""Rate limits per key and scope, per client address without a key; 429 with Retry-After and
RateLimit-* headers; the environment override; X-Forwarded-For only from trusted proxies;
shared limits in Redis."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import bearer, new_key

from marketloop.api.app import create_app
from marketloop.api.scopes import Scope
from marketloop.api.throttle import client_address, trusted_networks


def test_key_over_its_scope_limit_gets_429(make_settings) -> None:
    app = create_app(make_settings(api={"limits": {"read": "2/minute"}}))
    key = new_key(app, Scope.read, Scope.admin)
    with TestClient(app) as client:
        first = client.get("/api/v1/scopes", headers=bearer(key))
        assert (
            first.headers["ratelimit-limit"] == "2" and first.headers["ratelimit-remaining"] == "1"
        )
        client.get("/api/v1/scopes", headers=bearer(key))
        limited = client.get("/api/v1/scopes", headers=bearer(key))
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["ratelimit-remaining"] == "0"
        assert limited.headers["content-type"] == "application/problem+json"
        # another scope of the same key has its own budget; another key too
        assert client.get("/api/v1/keys", headers=bearer(key)).status_code == 200
        other = new_key(app, Scope.read)
        assert client.get("/api/v1/scopes", headers=bearer(other)).status_code == 200


def test_environment_sets_a_limit(make_settings, monkeypatch) -> None:
    monkeypatch.setenv("MARKETLOOP_API_LIMITS_READ", "1/minute")
    settings = make_settings()
    assert settings.api.limits["read"] == "1/minute" and settings.api.limits["run"] == "10/minute"
    app = create_app(settings)
    key = new_key(app, Scope.read)
    with TestClient(app) as client:
        assert client.get("/api/v1/scopes", headers=bearer(key)).status_code == 200
        assert client.get("/api/v1/scopes", headers=bearer(key)).status_code == 429


def test_bad_limit_is_a_config_error(make_settings) -> None:
    from marketloop.errors import ConfigError

    with pytest.raises(ConfigError, match="not a rate"):
        make_settings(api={"limits": {"read": "lots"}})


def test_requests_without_a_valid_key_are_limited_per_address(make_settings) -> None:
    app = create_app(make_settings(api={"limits": {"anonymous": "3/minute"}}))
    with TestClient(app) as client:
        codes = [
            client.get("/api/v1/crawls", headers=bearer("mlk_guess")).status_code for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        assert client.get("/healthz").status_code == 200  # probes are never limited


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    trusted = trusted_networks(["10.0.0.0/8"])
    assert client_address("203.0.113.9", "1.2.3.4", trusted) == "203.0.113.9"
    assert client_address("10.0.0.2", "198.51.100.7, 10.0.0.5", trusted) == "198.51.100.7"
    assert client_address("10.0.0.2", "spoof, 198.51.100.7", trusted) == "198.51.100.7"
    assert client_address("10.0.0.2", "<script>", trusted) == "10.0.0.2"
    assert client_address(None, None, trusted) == "unknown"


def test_spoofed_forwarded_for_does_not_buy_a_new_budget(make_settings) -> None:
    app = create_app(make_settings(api={"limits": {"anonymous": "2/minute"}}))
    with TestClient(app) as client:
        codes = [
            client.get("/api/v1/crawls", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in range(3)
        ]
    assert codes == [401, 401, 429]


@pytest.mark.redis
def test_limits_shared_through_redis(make_settings, redis_url: str) -> None:
    settings = make_settings(api={"limits": {"read": "3/minute"}, "limits_storage": redis_url})
    one, two = create_app(settings), create_app(settings)  # two server processes, one budget
    key = new_key(one, Scope.read)
    with TestClient(one) as a, TestClient(two) as b:
        codes = [c.get("/api/v1/scopes", headers=bearer(key)).status_code for c in (a, b, a, b)]
    assert codes == [200, 200, 200, 429]
