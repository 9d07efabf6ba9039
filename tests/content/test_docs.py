from pathlib import Path

from marketloop.content.evals.assertions import REGISTRY
from marketloop.fakes.openai import Knobs

DOCS = (Path(__file__).parents[2] / "docs" / "content.md").read_text()


def test_every_assertion_is_documented() -> None:
    missing = [name for name in REGISTRY if f"| `{name}` |" not in DOCS]
    assert missing == []


def test_every_fake_knob_is_documented() -> None:
    missing = [name for name in Knobs.__dataclass_fields__ if f"`{name}`" not in DOCS]
    assert missing == []
