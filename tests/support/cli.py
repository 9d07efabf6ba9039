"""`marketloop ARGS` in process through the real entry point, for any test:

outcome = run("loop", "status", "-f", "json")
code, out, err = run("smoke", url)     # an Outcome unpacks too
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from typer.testing import CliRunner

from marketloop.cli import main


class Outcome(NamedTuple):
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
