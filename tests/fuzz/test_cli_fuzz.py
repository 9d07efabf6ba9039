"""The fuzzing harness of issue 14: every CLI command driven with generated hostile input.

For each command (commands.py) hypothesis draws arguments and files (strategies.py) and the
command runs in process through the real entry point. Whatever it is given:

- no traceback: any exception other than the CLI's own exit fails the example;
- exit 0, or 2/3 with one message: exactly one `error:` line (click's usage box for exit 2);
- nothing printed that a terminal would act on (escape sequences, bidi overrides);
- a refused command (exit 2 or 3) leaves the workspace exactly as it was.

`make fuzz` runs many more examples (HYPOTHESIS_PROFILE=fuzz, FUZZ_EXAMPLES=N).
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.fuzz.commands import EXEMPT, KEEPS_ON_FAILURE, RECIPES, Context, clean_crawl
from tests.hostile import Outcome, run

from marketloop.appdb import open_app_db
from marketloop.cli import LAZY, _load
from marketloop.workspace import Workspace

#: files a refused command may still leave: dlt's private working folder (its traces of the
#: failed run), SQLite's journal and WAL files
SCRATCH = ("dlt", ".dlt")
EXAMPLES = itertools.count()


def leaf_commands() -> list[str]:
    names = []
    for name in LAZY:
        command = _load(name)
        subs = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in subs] if subs else [name]
    return names


def test_every_command_is_fuzzed_or_exempt_with_a_reason() -> None:
    assert sorted(set(leaf_commands()) - set(EXEMPT)) == sorted(RECIPES)


def snapshot(ws: Path) -> dict[str, str]:
    """Every file of the workspace and a hash of its bytes (dlt's working files aside)."""
    return {
        str(p.relative_to(ws)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ws.rglob("*"))
        if p.is_file()
        and p.relative_to(ws).parts[0] not in SCRATCH
        and not p.name.endswith(("-journal", "-wal", "-shm"))
    }


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 600 else text[:300] + " … " + text[-300:]


def check(outcome: Outcome, args: list[str]) -> None:
    said = short(outcome.stdout) + short(outcome.stderr)
    args = [short(a) for a in args]
    assert "Traceback" not in said, (args, said)
    assert "\x1b" not in outcome.stderr and "\u202e" not in outcome.stderr, (args, outcome.stderr)
    assert outcome.code in (0, 2, 3), (args, outcome.code, said)
    if outcome.error_lines:  # a marketloop error: one line (and a hint)
        assert len(outcome.error_lines) == 1, (args, said)
    elif outcome.code:  # click's usage error (exit 2; 3 in `quality`, where 2 is "fail")
        assert "Error" in outcome.stderr and "Usage:" in outcome.stderr, (args, said)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clean_crawl(tmp_path_factory.mktemp("fuzz") / "crawl")


@pytest.mark.parametrize("command", sorted(RECIPES))
@given(data=st.data())
def test_hostile_input_never_crashes_and_a_refusal_changes_nothing(
    command: str, data: st.DataObject, tmp_path: Path, crawl: Path
) -> None:
    ctx = Context(tmp_path / f"example-{next(EXAMPLES)}", tmp_path / "ws", crawl)
    if not ctx.ws.exists():  # a workspace in use: folders made, app database migrated
        open_app_db(f"sqlite:///{Workspace(ctx.ws).ensure().app_db_path}")
    args = [*RECIPES[command](data.draw, ctx), "-w", str(ctx.ws)]
    before = snapshot(ctx.ws)
    outcome = run(*args)
    check(outcome, args)
    if outcome.code == 2 or (outcome.code == 3 and command not in KEEPS_ON_FAILURE):
        assert snapshot(ctx.ws) == before, (short(args), short(outcome.stderr))
