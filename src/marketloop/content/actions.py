"""The create stage's actions: `briefs.generate` and `eval` (the CLI's `briefs generate` and
`eval run`).

Briefs already in the folder are kept (not regenerated) unless `force`, and LLM answers are
cached, so a step that runs again after a crash pays for nothing twice. The eval gate
(`gate: {min_pass_rate: 0.8}`) fails when any variant × model passes fewer cases than that.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from marketloop.actions import Action, ActionContext, ActionResult, Args, GateResult
from marketloop.config import Settings
from marketloop.content.config import Provider


class BriefsArgs(Args):
    out: Path | None = Field(None, description="folder; default WORKSPACE/briefs")
    clusters: str | None = Field(None, description="clusters file or names; default the latest")
    provider: Provider | None = None
    model: str | None = None
    prompts: list[str] = Field(default_factory=list, description="e.g. brief@v1, draft@v2")
    drafts: bool = False
    serp: Path | None = None
    crawl: Path | None = None
    force: bool = False
    decaying: bool = Field(
        True, description="an update brief for every decaying page that no cluster serves"
    )


class EvalArgs(Args):
    suite: Path
    prompts: str | None = Field(None, description="variants, e.g. draft@v1,draft@v2")
    models: list[str] = Field(default_factory=list)
    provider: Provider | None = None
    crawl: Path | None = None


class EvalGate(Args):
    min_pass_rate: float = Field(ge=0, le=1, description="lowest pass rate that may publish")


def _with_llm(settings: Settings, **values: object) -> Settings:
    changes = {k: v for k, v in values.items() if v is not None}
    llm = settings.llm.model_validate({**settings.llm.model_dump(), **changes})
    return settings.model_copy(update={"llm": llm})


def briefs(ctx: ActionContext, args: BriefsArgs) -> ActionResult:
    from marketloop.content.folder import INDEX, BriefFolder
    from marketloop.content.inputs import brief_inputs
    from marketloop.content.runs import generate_briefs, make_plan

    settings = _with_llm(ctx.settings, provider=args.provider, model=args.model)
    ws = ctx.workspace
    inputs = brief_inputs(
        settings, ws, args.clusters, crawl=args.crawl, serp=args.serp, decaying=args.decaying
    )
    plan = make_plan(settings, args.prompts, drafts=args.drafts, force=args.force)
    out = args.out or ws.root / "briefs"
    crawl = str(inputs.crawl) if inputs.crawl else None
    run = generate_briefs(
        settings, inputs.clusters, inputs.context, plan, BriefFolder(out), crawl=crawl
    )
    failed = sum(1 for e in run.entries if e.get("status") == "failed")
    return ActionResult(
        outputs={"briefs": str(out), "briefs index": str(out / INDEX)},
        facts={"briefs": len(run.entries), "failed": failed},
        summary=f"{len(run.entries)} briefs ({failed} failed)",
    )


def evaluate(ctx: ActionContext, args: EvalArgs) -> ActionResult:
    from marketloop.appdb import open_app_db
    from marketloop.config import app_db_url
    from marketloop.content.evals import store
    from marketloop.content.evals.compare import render_html
    from marketloop.content.evals.run import run_eval
    from marketloop.content.evals.runner import parse_variants
    from marketloop.content.evals.suite import load_suite
    from marketloop.report import write_report

    settings = _with_llm(ctx.settings, provider=args.provider)
    variants = parse_variants(args.prompts, settings)
    models = args.models or [settings.llm.model]
    run_id, summaries = run_eval(
        settings, load_suite(args.suite), variants, models, crawl=args.crawl
    )
    runs, results = store.load_runs(open_app_db(app_db_url(settings)), [run_id])
    report = write_report(
        ctx.workspace.reports_dir / f"eval-{run_id}.html", render_html(runs, results)
    )
    rates = {s.key: s.pass_rate for s in summaries}
    return ActionResult(
        outputs={"eval report": str(report)},
        facts={"eval_run": run_id, "pass_rates": rates},
        summary=", ".join(f"{k} {v:.0%}" for k, v in rates.items()),
    )


def judge(gate: EvalGate, result: ActionResult) -> GateResult:
    rates: dict[str, float] = result.facts.get("pass_rates") or {}
    low = {k: v for k, v in rates.items() if v < gate.min_pass_rate}
    if low or not rates:
        worst = ", ".join(f"{k} {v:.0%}" for k, v in low.items()) or "no results"
        return GateResult(
            result="fail", reason=f"pass rate under {gate.min_pass_rate:.0%}: {worst}"
        )
    return GateResult(result="pass", reason=f"every pass rate ≥ {gate.min_pass_rate:.0%}")


ACTIONS = [
    Action(
        "briefs.generate",
        BriefsArgs,
        briefs,
        "a brief (and draft) per keyword cluster (`marketloop briefs generate`)",
        outputs="WORKSPACE/briefs/ (or `out`), and its _index.json (the run, brief by brief)",
        reads_warehouse=True,  # the decaying pages (content_performance) become update briefs
    ),
    Action(
        "eval",
        EvalArgs,
        evaluate,
        "run an eval suite of prompts and models (`marketloop eval run`)",
        outputs="WORKSPACE/reports/eval-RUN.html",
        gate=EvalGate,
        judge=judge,
    ),
]
