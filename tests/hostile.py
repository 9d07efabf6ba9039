"""Hostile text that strangers write, shared by the tests that prove it stays inert: Rich
markup (`[/]` crashes an unescaped print, `[red]` colours it), HTML and quotes, a formula
prefix (spreadsheet injection), control characters and an RTL mark."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from typer.testing import CliRunner

from marketloop.cli import main

MARKUP = "[/] [red]x[/red] [link=https://evil.test]y[/link]"
HTML = "<script>alert(1)</script> \"quoted\" 'single' & <b>bold</b>"
FORMULA = '=HYPERLINK("https://evil.test","click")'
CONTROL = "bell\x07 esc\x1b[2J rtl\u202e"
TITLE = f"{MARKUP} {HTML}"
ALL = (MARKUP, HTML, FORMULA, CONTROL, TITLE)


def assert_markup_inert(output: str) -> None:
    """Rich printed the tags of `MARKUP` literally (none eaten as markup): checked piece by
    piece, since a narrow table folds a cell over several lines."""
    for tag in ("[/]", "[red]", "[/red]", "[/link]"):
        assert tag in output, output


def assert_html_inert(html: str) -> None:
    """Nothing from `HTML` became markup: no live script tag, no unescaped quotes in a tag."""
    assert "<script>alert(1)</script>" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;" in html


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def run(*args: str, stdin: str | bytes | None = None) -> Outcome:
    """`marketloop ARGS` in process through the real entry point (`cli.main`), as a person runs
    it: marketloop errors become `error:`/`hint:` lines and an exit status. Any other exception
    propagates, so a traceback fails the test that caused it."""
    runner = CliRunner()
    with runner.isolation(input=stdin) as (out, err, _):
        saved = sys.argv
        sys.argv = ["marketloop", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.argv = saved
        sys.stdout.flush()
        sys.stderr.flush()
        return Outcome(
            code,
            out.getvalue().decode("utf-8", "replace"),
            err.getvalue().decode("utf-8", "replace"),
        )
