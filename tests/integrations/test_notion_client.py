"""The Notion client against the fake: errors that say what to do, retries that are safe."""

from __future__ import annotations

import pytest

from marketloop.fakes.notion import Failure
from marketloop.integrations.blocks import paragraph
from marketloop.integrations.config import NotionSettings
from marketloop.integrations.errors import (
    NotionAccessError,
    NotionAuthError,
    NotionUnavailable,
    NotionValidationError,
)
from marketloop.integrations.notion import NotionClient
from marketloop.integrations.pacing import TokenBucket, retry_delay

from .conftest import Notion


def client(
    notion: Notion, token: str | None = None, **settings: object
) -> tuple[NotionClient, list[float]]:
    slept: list[float] = []
    config = NotionSettings(base_url=notion.url, rate=1000, burst=100, backoff=0.01, **settings)  # type: ignore[arg-type]
    return NotionClient(config, token or notion.fake.token, sleep=slept.append), slept


def title(text: str) -> dict[str, object]:
    return {"Name": {"title": [{"text": {"content": text}}]}}


def test_bad_token_is_a_clear_error(notion: Notion) -> None:
    api, _ = client(notion, token="ntn_wrong_0000000000")
    with api, pytest.raises(NotionAuthError) as info:
        api.database(notion.database_id)
    assert info.value.status == 401
    assert "MARKETLOOP_NOTION_TOKEN" in str(info.value)
    assert "ntn_wrong" not in str(info.value)


def test_a_database_not_shared_says_how_to_share_it(notion: Notion) -> None:
    notion.fake.unshared.add(notion.database_id)
    api, _ = client(notion)
    with api, pytest.raises(NotionAccessError) as info:
        api.database(notion.database_id)
    assert notion.database_id in str(info.value)
    assert "Connections" in str(info.value)


def test_validation_errors_name_the_rejected_block(notion: Notion) -> None:
    notion.fake.knobs.reject_text = "poison"
    api, _ = client(notion)
    blocks = [b for n in range(10) for b in paragraph("poison" if n == 7 else f"ok {n}")]
    with api, pytest.raises(NotionValidationError) as info:
        api.create_page(notion.source_id, title("x"), blocks)
    assert info.value.block_index == 7
    assert notion.pages() == []  # Notion validates the whole request first


def test_429_waits_for_retry_after_then_succeeds(notion: Notion) -> None:
    notion.fake.knobs.failures.append(Failure(429))
    api, slept = client(notion)
    with api:
        assert api.database(notion.database_id)["id"] == notion.database_id
    assert slept and slept[0] >= 1.0  # the fake's Retry-After: 1
    assert api.requests == 2


def test_529_service_overload_is_waited_out_like_429_even_for_a_create(notion: Notion) -> None:
    notion.fake.fail_next(529, "/v1/pages", method="POST", retry_after=3)
    api, slept = client(notion)
    with api:
        api.create_page(notion.source_id, title("once"), [])
    assert slept and slept[0] >= 3.0  # Notion's Retry-After, not the 0.01 s backoff
    assert len(notion.pages()) == 1 and api.requests == 2


def test_5xx_is_retried_with_backoff_for_reads(notion: Notion) -> None:
    notion.fake.fail_next(500, "/v1/databases")
    notion.fake.fail_next(503, "/v1/databases")
    api, slept = client(notion)
    with api:
        api.database(notion.database_id)
    assert len(slept) == 2 and slept[1] > slept[0]


def test_an_unsafe_create_is_not_retried_after_a_5xx(notion: Notion) -> None:
    notion.fake.fail_next(500, "/v1/pages", after_write=True)  # applied, then a 500
    api, slept = client(notion)
    with api, pytest.raises(NotionUnavailable):
        api.create_page(notion.source_id, title("once"), [])
    assert len(notion.pages()) == 1 and not slept  # no second page


def test_retries_give_up_with_a_transient_error(notion: Notion) -> None:
    for _ in range(4):
        notion.fake.fail_next(502)
    api, slept = client(notion, retries=3)
    with api, pytest.raises(NotionUnavailable) as info:
        api.database(notion.database_id)
    assert info.value.transient and len(slept) == 3


def test_an_unreachable_notion_is_transient_and_names_the_url() -> None:
    config = NotionSettings(base_url="http://127.0.0.1:9", retries=1, backoff=0)
    with (
        NotionClient(config, "ntn_x", sleep=lambda _: None) as api,
        pytest.raises(NotionUnavailable) as info,
    ):
        api.database("abc")
    assert "127.0.0.1:9" in str(info.value)


def test_pagination_follows_cursors(notion: Notion) -> None:
    api, _ = client(notion)
    with api:
        page = api.create_page(notion.source_id, title("long"), [])
        for start in range(0, 250, 100):
            api.append(
                page["id"],
                [b for n in range(start, min(start + 100, 250)) for b in paragraph(f"b{n}")],
            )
        texts = [c["paragraph"]["rich_text"][0]["plain_text"] for c in api.children(page["id"])]
    assert texts == [f"b{n}" for n in range(250)]


def test_the_real_rate_limit_is_honoured_end_to_end(notion: Notion) -> None:
    notion.fake.knobs.rate, notion.fake.knobs.burst = 5.0, 2
    config = NotionSettings(base_url=notion.url, rate=1000, burst=100, backoff=0.01)
    with NotionClient(config, notion.fake.token) as api:  # far faster than the fake allows
        for _ in range(6):
            api.database(notion.database_id)
    assert notion.fake.rate_limited >= 1
    assert api.requests == 6 + notion.fake.rate_limited


def test_token_bucket_paces_after_the_burst() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(rate=3, burst=3, clock=lambda: now[0], sleep=sleep)
    waits = [bucket.acquire() for _ in range(6)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == pytest.approx([1 / 3] * 3)
    assert now[0] == pytest.approx(1.0)  # six requests in one second: 3 burst + 3 paced


def test_retry_delay_prefers_retry_after_and_is_capped() -> None:
    assert retry_delay(1, backoff=1, retry_after=7, cap=60) == 7
    assert retry_delay(1, backoff=1, retry_after=700, cap=60) == 60
    assert retry_delay(3, backoff=1, retry_after=None, cap=60, jitter=False) == 4


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"MARKETLOOP_NOTION_BASE_URL": "http://notion.example.com"}, "must use https://"),
        ({"MARKETLOOP_WEBHOOKS_URLS": '["http://hooks.example.com/x"]'}, "must use https://"),
        ({"MARKETLOOP_WEBHOOKS_URLS": '["hooks.example.com"]'}, "no scheme"),
        ({"MARKETLOOP_NOTION_PROPERTIES": '{"title": ""}'}, "cannot be left out"),
        ({"MARKETLOOP_NOTION_RATE": "0"}, "notion.rate"),
    ],
)
def test_unsafe_or_wrong_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], problem: str
) -> None:
    from marketloop.config import load_settings
    from marketloop.errors import ConfigError

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=problem):
        load_settings()


def test_the_token_comes_from_the_environment_and_stays_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from marketloop.config import load_settings

    monkeypatch.setenv("MARKETLOOP_NOTION_TOKEN", "ntn_secret_value_123456")
    settings = load_settings()
    assert settings.notion.token is not None
    assert settings.notion.token.get_secret_value() == "ntn_secret_value_123456"
    assert "ntn_secret" not in repr(settings) and "ntn_secret" not in settings.model_dump_json()
