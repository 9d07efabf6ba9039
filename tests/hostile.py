"""Hostile text that strangers write, shared by the tests that prove it stays inert: Rich
markup (`[/]` crashes an unescaped print, `[red]` colours it), HTML and quotes, a formula
prefix (spreadsheet injection), control characters and an RTL mark. `run` and `Outcome`, the
CLI harness most of their tests use, live in tests/support/cli.py."""

from __future__ import annotations

from tests.support.cli import Outcome, run

__all__ = ["Outcome", "run"]  # the harness, where the hostile-input tests have always found it

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
