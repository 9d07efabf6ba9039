"""One eval run end to end: load the suite, run variants × models, store every result as it
finishes, mark the run finished (or failed: what finished stays stored)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url
from marketloop.content.evals import store
from marketloop.content.evals.compare import Summary, summarise
from marketloop.content.evals.runner import CaseRun, EvalRunner, Variant
from marketloop.content.evals.suite import LoadedSuite
from marketloop.content.inputs import site_pages
from marketloop.content.llm.session import LlmSession, new_run_id
from marketloop.workspace import Workspace


def run_eval(
    settings: Settings,
    loaded: LoadedSuite,
    variants: Sequence[Variant],
    models: Sequence[str],
    on_result: Callable[[CaseRun], None] = lambda _: None,
    crawl: Path | None = None,
) -> tuple[str, list[Summary]]:
    """The run id and its summaries; results are in the app database."""
    engine = open_app_db(app_db_url(settings))
    pages, _ = site_pages(crawl or loaded.crawl, Workspace(settings.workspace).ensure())
    run_id = new_run_id("ev")
    provider = settings.llm.resolved_provider()
    store.start_run(
        engine,
        id=run_id,
        suite=loaded.suite.name,
        suite_path=str(loaded.path.resolve()),
        provider=provider,
        variants=[v.label for v in variants],
        models=list(models),
        cases=len(loaded.cases),
    )

    async def go() -> None:
        session = LlmSession(settings, run_id) if provider == "openai" else None
        runner = EvalRunner(loaded, settings, session, pages)

        def save(result: CaseRun) -> None:
            store.save_result(engine, run_id, result.row(session.ledger if session else None))
            if session is not None:
                session.checkpoint()
            on_result(result)

        if session is None:
            await runner.run(variants, models, save)
            return
        async with session:
            await runner.run(variants, models, save)

    try:
        asyncio.run(go())
    except BaseException:
        store.finish_run(engine, run_id, "failed")
        raise
    store.finish_run(engine, run_id, "finished")
    _, results = store.load_runs(engine, [run_id])
    return run_id, summarise(results)
