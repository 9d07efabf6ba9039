"""`marketloop eval decide`: evaluate candidates (or read runs already made) and write the
decision record (see `decide.py` for the rule, `decision_record.py` for the files).

marketloop eval decide --suite examples/evals/briefs.yaml --candidate gpt-4.1-mini,gpt-4o-mini
marketloop eval decide --suite briefs.yaml --candidate brief@v2+draft@v2=ft:gpt-4o-mini:acme::x
marketloop eval decide --suite briefs.yaml --run ev-20261206T101500Z-3fa2 ev-…
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from marketloop.appdb import open_app_db
from marketloop.clikit import (
    FormatOption,
    OutOption,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_rows,
    list_option,
    state,
)
from marketloop.config import Settings, app_db_url
from marketloop.content.evals import store
from marketloop.content.evals.decide import candidates, decide, failures
from marketloop.content.evals.decision_record import write_record
from marketloop.content.evals.run import run_eval
from marketloop.content.evals.runner import parse_variants
from marketloop.content.evals.suite import LoadedSuite, load_suite
from marketloop.errors import UsageError
from marketloop.workspace import Workspace

COLUMNS = [
    "candidate",
    "cases",
    "pass_rate",
    "ci_low",
    "ci_high",
    "cost_per_1000",
    "p50_ms",
    "p95_ms",
]


def decide_command(
    ctx: typer.Context,
    suite: Annotated[Path, typer.Option(help="The eval suite (YAML or JSON).")],
    candidates_: Annotated[
        list[str] | None,
        list_option(
            "--candidate",
            help="MODEL or PROMPTS=MODEL (brief@v2+draft@v2=gpt-4o-mini); each is evaluated on "
            "the suite now.",
        ),
    ] = None,
    runs: Annotated[
        list[str] | None, list_option("--run", help="Decide on eval runs already made.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    out: OutOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Compare candidates on a suite and write the decision record (Markdown and HTML).

    Example: marketloop eval decide --suite examples/evals/briefs.yaml --candidate
    gpt-4.1-mini,gpt-4o-mini
    """
    settings = state(ctx).settings(workspace)
    loaded = load_suite(suite)
    if not candidates_ and not runs:
        raise UsageError("name --candidate to evaluate or --run to read", hint="see --help")
    run_ids = list(runs or []) + [_evaluate(settings, loaded, item) for item in candidates_ or []]
    engine = open_app_db(app_db_url(settings))
    _, results = store.load_runs(engine, run_ids)
    found = candidates(results, lambda model: settings.llm.price_of(model) is not None)
    decision = decide(found)
    folder = Workspace(settings.workspace).ensure().reports_dir / "decisions"
    keys = [c.key for c in found]
    md, page = write_record(folder, loaded.suite.name, run_ids, decision, failures(results, keys))
    emit_rows([_row(c) for c in found], fmt, columns=COLUMNS, title="Candidates", out=out)
    pick = decision.pick.key if decision.pick else "none"
    console.print(f"recommended: [bold]{escape(pick)}[/] ({escape(decision.reason)})", emoji=False)
    console.print(f"decision record: {escape(str(md))} and {escape(str(page))}", soft_wrap=True)


def _evaluate(settings: Settings, loaded: LoadedSuite, item: str) -> str:
    prompts, _, model = item.rpartition("=") if "=" in item else ("", "", item)
    if not model:
        raise UsageError(f"candidate {item!r} names no model", hint="MODEL or PROMPTS=MODEL")
    variants = parse_variants(prompts or None, settings)
    console.print(f"evaluating {escape(item)} on {len(loaded.cases)} cases…", emoji=False)
    run_id, _ = run_eval(settings, loaded, variants, [model])
    return run_id


def _row(c: Any) -> dict[str, Any]:
    return {
        "candidate": c.key, "cases": c.cases, "pass_rate": round(c.pass_rate, 4),
        "ci_low": c.low, "ci_high": c.high,
        "cost_per_1000": "price unknown" if c.cost_per_1000 is None else c.cost_per_1000,
        "p50_ms": c.p50_ms, "p95_ms": c.p95_ms,
    }  # fmt: skip
