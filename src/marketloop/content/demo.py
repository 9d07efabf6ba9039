"""The create stage's demo step: briefs offline, then briefs, drafts and an eval of two draft
prompt versions with the fake OpenAI server (local, offline), and the eval comparison report.

Clusters come from the keyword step (`run.outputs["clusters"]`) when it ran, else from
`sample.py`. What to open: `run.outputs["briefs"]` (briefs + drafts, the folder publishing
reads), `briefs-offline` and `eval report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import SecretStr

from marketloop.appdb import open_app_db
from marketloop.clikit import console
from marketloop.config import Settings, app_db_url
from marketloop.content.evals import store
from marketloop.content.evals.compare import render_html
from marketloop.content.evals.run import run_eval
from marketloop.content.evals.runner import parse_variants
from marketloop.content.evals.suite import load_suite
from marketloop.content.folder import BriefFolder
from marketloop.content.inputs import read_clusters, site_pages
from marketloop.content.offline import BriefContext
from marketloop.content.refresh import serving, with_decaying
from marketloop.content.runs import generate_briefs, make_plan
from marketloop.content.sample import sample_clusters
from marketloop.fakes.openai import FakeOpenAI
from marketloop.fakes.server import LocalServer
from marketloop.keywords.model import Cluster
from marketloop.keywords.reader import read_serps
from marketloop.quality.outcomes import decaying_pages
from marketloop.report import write_report

if TYPE_CHECKING:
    from marketloop.demo import DemoRun

LLM_BRIEFS = 6  # clusters written with the (fake) LLM
EVAL_CASES = 4
VARIANTS = "draft@v1,draft@v2"


def content_step(run: DemoRun) -> None:
    decaying = decaying_pages(run.settings)
    clusters, _ = with_decaying(_clusters(run), decaying)
    # the briefs refreshing decaying pages first, so the fake LLM writes them and the publish
    # step publishes them: the next quality run measures them (quality.demo.close_loop_step)
    first = serving(clusters, decaying)
    clusters = first + [c for c in clusters if c not in first]
    for page in decaying:
        console.print(f"decaying page {page.url!r}: an update brief", markup=False)
    pages, crawl = site_pages(None, run.workspace)
    serp = _serps(run)
    context = BriefContext(clusters=clusters, pages=pages, serp=serp)
    root = run.workspace.root
    offline = generate_briefs(
        _with_provider(run.settings, "offline"),
        clusters,
        context,
        make_plan(_with_provider(run.settings, "offline"), drafts=False, force=True),
        BriefFolder(root / "briefs-offline"),
        crawl=str(crawl) if crawl else None,
    )
    console.print(f"{len(offline.outcomes)} offline briefs from {len(clusters)} clusters")
    fake = FakeOpenAI()
    with LocalServer(fake.app()) as server:
        settings = _with_fake_llm(run.settings, server.url + "/v1", fake.knobs.api_key or "")
        chosen = clusters[:LLM_BRIEFS]
        llm = generate_briefs(
            settings,
            chosen,
            context,
            make_plan(settings, drafts=True, force=True),
            BriefFolder(root / "briefs"),
            crawl=str(crawl) if crawl else None,
        )
        totals = llm.ledger.totals()
        console.print(
            f"{len(llm.outcomes)} briefs + drafts with the fake LLM: {totals['calls']} calls, "
            f"{totals['prompt_tokens'] + totals['completion_tokens']:,} tokens"
        )
        report = _eval(settings, clusters[:EVAL_CASES], root / "reports")
    run.outputs["briefs"] = root / "briefs"
    run.outputs["briefs-offline"] = root / "briefs-offline"
    run.outputs["eval report"] = report


def _serps(run: DemoRun) -> dict[str, list[str]]:
    """The keyword step's SERP snapshots (the briefs' sources), when it ran."""
    path = run.outputs.get("serps")
    if path is None or not Path(path).is_file():
        return {}
    return read_serps(Path(path), run.settings.keywords.top_n)[0]


def _clusters(run: DemoRun) -> list[Cluster]:
    path = run.outputs.get("clusters")
    if path is not None and Path(path).is_file():
        found = read_clusters(Path(path))
        if found:
            return sorted(found, key=lambda c: (-c.opportunity, -c.volume, c.cluster))
    return sample_clusters()


def _eval(settings: Settings, clusters: list[Cluster], reports: Path) -> Path:
    """Write a suite of the demo's clusters (a starting point for your own), run it, report."""
    suite = reports / "demo-eval-suite.yaml"
    suite.parent.mkdir(parents=True, exist_ok=True)
    cases = [
        {"id": c.cluster.replace(" ", "-"), "cluster": c.model_dump(mode="json")} for c in clusters
    ]
    judge = {
        "criteria": [
            {"name": "helpfulness", "description": "answers the searcher's questions concretely"},
            {"name": "clarity", "description": "short sentences, plain words, no filler"},
        ]
    }
    suite.write_text(
        yaml.safe_dump({"name": "demo", "defaults": {"judge": judge}, "cases": cases}),
        encoding="utf-8",
    )
    run_id, summaries = run_eval(
        settings, load_suite(suite), parse_variants(VARIANTS, settings), [settings.llm.model]
    )
    for s in summaries:
        console.print(f"eval {s.key}: pass rate {s.pass_rate:.0%}")
    runs, results = store.load_runs(open_app_db(app_db_url(settings)), [run_id])
    return write_report(reports / f"eval-{run_id}.html", render_html(runs, results))


def _with_provider(settings: Settings, provider: str) -> Settings:
    return settings.model_copy(
        update={"llm": settings.llm.model_copy(update={"provider": provider})}
    )


def _with_fake_llm(settings: Settings, base_url: str, key: str) -> Settings:
    llm = settings.llm.model_copy(
        update={
            "provider": "openai",
            "base_url": base_url,
            "api_key": SecretStr(key),
            "model": "gpt-4o-mini",
        }
    )
    return settings.model_copy(update={"llm": llm})
