"""`marketloop eval run` and `marketloop eval compare`."""

from __future__ import annotations

import typer

eval_app = typer.Typer(
    help="Evaluate prompt versions and models on a suite of cases, and compare them.",
    no_args_is_help=True,
)
