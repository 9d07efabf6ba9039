"""yamlguard: YAML from people, errors naming the line, raised as the caller's error class."""

from __future__ import annotations

import pytest

from marketloop import yamlguard
from marketloop.errors import MarketloopError


class SheetError(MarketloopError):
    exit_code = 2


TEXT = "name: x\nitems:\n  - {when: 14:00, ok: yes}\n  - blank:\n"


def test_values_keep_their_lines_and_scalars_stay_strings() -> None:
    root = yamlguard.compose(TEXT, "s.yaml", SheetError)
    data = yamlguard.construct(root, "s.yaml", SheetError)
    assert data["items"][0] == {"when": "14:00", "ok": "yes"}  # YAML 1.1 would say 840, True
    assert data["items"][1] == {"blank": ""}
    where = yamlguard.where("s.yaml", root, ("items", 0, "when"), "bad time", top="sheet")
    assert where == "s.yaml:3: items[0].when: bad time"
    assert yamlguard.where("s.yaml", root, (), "bad", top="sheet") == "s.yaml:1: sheet: bad"


def test_an_empty_value_may_be_null() -> None:
    loader = yamlguard.EmptyIsNullLoader
    root = yamlguard.compose(TEXT, "s.yaml", SheetError, loader=loader)
    assert yamlguard.construct(root, "s.yaml", SheetError, loader)["items"][1] == {"blank": None}


def test_field_names_map_to_their_keys() -> None:
    root = yamlguard.compose("a:\n  with:\n    x: 1\n", "s.yaml", SheetError)
    found = yamlguard.where(
        "s.yaml", root, ("a", "with_", "x"), "no", top="s", keys={"with_": "with"}
    )
    assert found == "s.yaml:3: a.with.x: no"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first on line 1)"),
        ("a: &x [1]\nb: *x\n", 1, "anchors and aliases are not supported"),
        ("a:\n  b: " + "[" * 40 + "]" * 40 + "\n", 2, "nested more than 32"),
        ("a: [\n", 2, "not valid YAML"),
        ("a: 1\n[b, c]: 2\n", 2, "a key must be a plain name"),
        ("a:\n  {x: y}: 2\n", 2, "a key must be a plain name"),
        ("", 1, "empty"),
        ("a: !!python/object:os.system x\n", 1, "could not determine a constructor"),
    ],
)
def test_refusals_raise_the_callers_error_with_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(SheetError) as caught:
        yamlguard.construct(yamlguard.compose(text, "s.yaml", SheetError), "s.yaml", SheetError)
    assert caught.value.message.startswith(f"s.yaml:{line}: ")
    assert words in caught.value.message
