import pytest
from pydantic import ValidationError

from marketloop.content.brief import Brief


def minimal(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "slug": "crm-software",
        "cluster": "crm software",
        "title_options": ["CRM software: a buyer's guide"],
        "meta_description": "How to choose CRM software.",
        "h1": "CRM software",
        "outline": [{"level": 2, "heading": "What a CRM does"}],
        "primary_terms": [{"term": "crm software", "min_count": 3}],
        "intent": "commercial",
        "audience": "B2B marketing leads",
        "word_count_min": 1200,
        "word_count_max": 1800,
        "call_to_action": "Book a demo",
    }
    return {**base, **overrides}


def test_valid_brief_round_trips() -> None:
    brief = Brief.model_validate(minimal())
    assert Brief.model_validate_json(brief.model_dump_json()) == brief


@pytest.mark.parametrize(
    "overrides",
    [{"word_count_max": 100}, {"outline": []}, {"intent": "curious"}, {"title_options": []}],
)
def test_invalid_briefs_are_rejected(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Brief.model_validate(minimal(**overrides))
