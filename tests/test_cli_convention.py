"""One CLI convention (docs/cli.md): walked over every command of the Typer app, so a command
added later is held to it too; and the shared pieces of clikit.py that apply it."""

from __future__ import annotations

import csv
import io
import json
import re
from functools import cache
from pathlib import Path

import pytest
import typer
import typer.main
from tests.hostile import FORMULA, HTML, MARKUP, assert_html_inert
from typer import _click as click
from typer.core import TyperGroup
from typer.testing import CliRunner

from marketloop import clikit
from marketloop.cli import app, human_type
from marketloop.clikit import OutputFormat, emit_rows, renamed_args, split_list
from marketloop.docgen import _command_paths, _help


def commands() -> list[tuple[list[str], click.Command]]:
    """Every command path of the app with its click command, groups included."""
    root = typer.main.get_command(app)
    found = []
    for path in _command_paths(root):
        command: click.Command = root
        for name in path:
            assert isinstance(command, TyperGroup)
            sub = command.get_command(click.Context(command), name)
            assert sub is not None
            command = sub
        found.append((path, command))
    return found


COMMANDS = commands()
LEAVES = [(path, command) for path, command in COMMANDS if not isinstance(command, TyperGroup)]
PATHS = sorted(" ".join(path) for path, _ in COMMANDS)


@cache
def help_of(path: str) -> str:
    return _help(path.split())


#: Python's names for types, which help must not show (`<str>`, `<list[Path]>`)
PYTHON_TYPES = re.compile(
    r"<(?:str|int|float|bool|bytes|Path|datetime|dict)\b|list\[|Optional|\bNoneType"
)


def test_the_walk_finds_every_command() -> None:
    assert len(LEAVES) > 60 and "crawl-export" in PATHS and "plan export" in PATHS


@pytest.mark.parametrize("path", PATHS)  # groups too: `marketloop plan --help`
def test_every_command_help_shows_an_example(path: str) -> None:
    text = " ".join(help_of(path).split())  # an example may be folded over lines
    assert re.search(r"\bExamples?:", text), f"`marketloop {path} --help` shows no example"
    assert f"marketloop {path}" in text.split("Example", 1)[1], f"{path}: example of what?"


@pytest.mark.parametrize("path", PATHS)
def test_help_names_value_types_in_words(path: str) -> None:
    assert not PYTHON_TYPES.findall(help_of(path)), (path, PYTHON_TYPES.findall(help_of(path)))


def test_human_type_names() -> None:
    assert human_type("<str>") == "<text>"
    assert human_type("<list[str]>") == "<text>..."
    assert human_type("<list[Path]>") == "<path>..."
    assert human_type("<int>") == "<integer>"
    assert human_type("<float range>") == "<number>"
    assert human_type("<list[critical|warning|notice]>") == "<critical|warning|notice>..."
    assert human_type("<table|json>") == "<table|json>"


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in LEAVES])
def test_format_and_out_have_their_short_forms(path: str) -> None:
    command = {" ".join(p): c for p, c in LEAVES}[path]
    options = {opt: param for param in command.params for opt in getattr(param, "opts", [])}
    if "--format" in options:
        assert "-f" in options["--format"].opts, f"{path}: --format without -f"
    if "--out" in options:
        assert "-o" in options["--out"].opts, f"{path}: --out without -o"


#: commands with --format that report a secret: no file to write (docs/cli.md)
NO_OUT = {"keys create"}
#: commands that report a change as table or json only (docs/cli.md)
CHANGES = {"plan block", "plan done", "plan rebaseline", "plan retract", "plan slip",
           "plan unblock"}  # fmt: skip


def test_every_command_with_a_format_can_write_a_file() -> None:
    missing = []
    for path, command in LEAVES:
        opts = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if "--format" in opts and "--out" not in opts and " ".join(path) not in NO_OUT:
            missing.append(" ".join(path))
    assert missing == []


def test_every_table_format_offers_html() -> None:
    """Where a command prints a table (table among its formats), html is one too."""
    for path, command in LEAVES:
        for param in command.params:
            choices = getattr(getattr(param, "type", None), "choices", None)
            if "--format" in getattr(param, "opts", []) and choices and "table" in choices:
                wanted = "html" in choices or " ".join(path) in NO_OUT | CHANGES
                assert wanted, f"{' '.join(path)}: --format {choices} without html"


def test_split_list_takes_repeats_and_comma_lists() -> None:
    assert split_list(["a,b", " c ", "", "d,,e"]) == ["a", "b", "c", "d", "e"]
    assert split_list(None) == []


def test_choice_list_names_the_choices_of_a_bad_item() -> None:
    from marketloop.audit.model import Severity

    assert clikit.choice_list(Severity, ["critical,notice"]) == [
        Severity.critical,
        Severity.notice,
    ]
    with pytest.raises(typer.BadParameter, match="'loud' is not one of critical, warning"):
        clikit.choice_list(Severity, ["critical,loud"])


def test_renamed_args_rewrite_old_spellings_and_warn_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--prompts", "a,b", "--prompts=c", "--", "--prompts"]
    assert renamed_args("eval run", args) == ["--prompt", "a,b", "--prompt=c", "--", "--prompts"]
    assert renamed_args("keywords gaps", ["--html=r.html", "k.csv"]) == [
        "--format", "html", "--out=r.html", "k.csv",
    ]  # fmt: skip
    assert renamed_args("plan show", ["--html", "x"]) == ["--html", "x"]  # not renamed there
    warnings = capsys.readouterr().err.splitlines()
    assert warnings == [
        "warning: `marketloop eval run --prompts` is deprecated and goes in the next release; "
        "use --prompt",
        "warning: `marketloop keywords gaps --html` is deprecated and goes in the next release; "
        "use --format html --out FILE",
    ]


def test_old_export_spelling_still_runs_crawl_export(cli: CliRunner, tmp_path: Path) -> None:
    from tests.audit.builder import Site

    crawl = Site.clean().write(tmp_path / "crawl")
    old = cli.invoke(app, ["export", str(crawl), "pages", "-w", str(tmp_path / "ws")])
    new = cli.invoke(app, ["crawl-export", str(crawl), "pages", "-w", str(tmp_path / "ws")])
    assert old.exit_code == new.exit_code == 0, old.output
    assert old.stdout == new.stdout and old.stdout.startswith('"url",')
    assert old.stderr.splitlines()[0] == (
        "warning: `marketloop export` is deprecated and goes in the next release; "
        "use marketloop crawl-export"
    )
    assert "deprecated" not in new.stderr
    assert "export" not in {name for path, _ in COMMANDS for name in path[:1]}  # not listed


def test_comma_and_repeated_list_options_mean_the_same(cli: CliRunner, tmp_path: Path) -> None:
    from tests.audit.builder import Site

    crawl = Site.clean().write(tmp_path / "crawl")
    ws = ["-w", str(tmp_path / "ws")]
    comma = cli.invoke(app, ["audit", str(crawl), "-f", "json", "-s", "critical,notice", *ws])
    repeated = cli.invoke(
        app, ["audit", str(crawl), "-f", "json", "-s", "critical", "-s", "notice", *ws]
    )
    assert comma.exit_code == repeated.exit_code == 0, comma.output
    assert json.loads(comma.stdout) == json.loads(repeated.stdout)
    bad = cli.invoke(app, ["audit", str(crawl), "-s", "critical,loud", *ws])
    assert bad.exit_code == 2 and "'loud' is not one of" in bad.output


def test_emit_rows_html_is_an_inert_self_contained_page(tmp_path: Path) -> None:
    rows = [{"name": HTML, "note": MARKUP, "formula": FORMULA, "n": 1.5}]
    out = tmp_path / "rows.html"
    emit_rows(rows, OutputFormat.table, title=f"title {HTML}", out=out)  # html from the suffix
    page = out.read_text()
    assert page.lower().startswith("<!doctype html>") and "<td>1.50</td>" in page
    assert_html_inert(page)
    assert "<script" not in page and "http" not in page.split("<body>")[0]


def test_emit_rows_out_follows_the_suffix_and_writes_instead_of_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"a": FORMULA, "b": 2}]
    emit_rows(rows, "table", out=tmp_path / "rows.csv")
    emit_rows(rows, "table", out=tmp_path / "rows.json")
    emit_rows(rows, "table", out=tmp_path / "rows.txt")
    captured = capsys.readouterr()
    assert captured.out == ""
    cells = list(csv.reader(io.StringIO((tmp_path / "rows.csv").read_text())))
    assert cells[1][0].startswith("'=")  # a formula neutralised
    assert json.loads((tmp_path / "rows.json").read_text()) == rows
    assert "┃ a" in (tmp_path / "rows.txt").read_text()  # the table, as text
    assert captured.err.count("wrote ") == 3


def test_emoji_codes_in_outside_text_print_as_they_are(cli: CliRunner, tmp_path: Path) -> None:
    """A fine-tuned model id or a name with `:smile:`-like parts is data, not an emoji code."""
    name = "ft:gpt-4o-mini:acme:smile:x :thumbs_up: :rocket:"
    ws = ["-w", str(tmp_path / "ws")]
    made = cli.invoke(app, ["keys", "create", "--name", name, "--scope", "read", *ws])
    assert made.exit_code == 0, made.output
    listed = cli.invoke(app, ["keys", "list", *ws], env={"COLUMNS": "300"})
    for output in (made.stderr, listed.stdout):
        assert "😄" not in output and "👍" not in output and "🚀" not in output
    assert ":thumbs_up: :rocket:" in made.stderr and ":thumbs_up: :rocket:" in listed.stdout


def test_shared_consoles_do_not_render_emoji() -> None:
    for shared in (clikit.console, clikit.stdout):
        with shared.capture() as captured:
            shared.print("ft:gpt-4o:org:smile: :rocket:")
        assert captured.get().strip() == "ft:gpt-4o:org:smile: :rocket:"
