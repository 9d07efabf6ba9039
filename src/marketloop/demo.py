"""`marketloop demo`: the whole loop on bundled sample data, offline.

The demo is a list of steps; each stage adds its step when it lands. Every step runs against
local servers on 127.0.0.1 (the generated sample site, fakes of the SaaS APIs), so the demo
needs no network and no credentials.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import typer

from marketloop.clikit import WorkspaceOption, console, esc, state
from marketloop.config import Settings
from marketloop.workspace import Workspace


@dataclass
class DemoRun:
    settings: Settings
    workspace: Workspace
    outputs: dict[str, Path] = field(default_factory=dict)  # what to look at, by name
    site_url: str | None = None  # the sample site, served while the demo runs (crawl step)
    resources: ExitStack = field(default_factory=ExitStack)  # closed when the demo ends


DemoStep = Callable[[DemoRun], None]

# (title, "module:function"): imported only when the demo runs, so `marketloop --help` stays fast.
STEPS: tuple[tuple[str, str], ...] = (
    ("crawl the sample site", "marketloop.crawl.demo:crawl_step"),
    ("audit", "marketloop.audit.demo:audit_step"),
    (
        "measure: GA4, Search Console, HubSpot and the crawl into the warehouse",
        "marketloop.ingest.demo:ingest_step",
    ),
    ("data quality", "marketloop.quality.demo:quality_step"),
    (
        "tickets: the audit into Jira, ranked by traffic",
        "marketloop.integrations.tickets_demo:tickets_step",
    ),
    ("keywords", "marketloop.keywords.demo:demo_step"),
    ("create: briefs, drafts and evals", "marketloop.content.demo:content_step"),
    ("publish: Notion and webhooks", "marketloop.integrations.demo:publish_step"),
    ("close the loop: published content measured", "marketloop.quality.demo:close_loop_step"),
    ("delivery plan", "marketloop.plan.demo:run"),
    (
        "escalations: Slack and PagerDuty",
        "marketloop.integrations.escalations_demo:escalations_step",
    ),
)


def load_step(reference: str) -> DemoStep:
    module, _, name = reference.partition(":")
    step: DemoStep = getattr(importlib.import_module(module), name)
    return step


def demo_command(ctx: typer.Context, workspace: WorkspaceOption = None) -> None:
    """Run the whole loop on a bundled sample site and data, offline; say where to look.

    Example: marketloop demo --workspace /tmp/marketloop-demo
    """
    cli = state(ctx)
    settings = cli.settings(workspace)
    run = DemoRun(settings, Workspace(settings.workspace).ensure())
    if not STEPS:
        console.print("The demo has no stages yet: the crawler and auditor are the first to land.")
        return
    with run.resources:  # the sample site and fakes started by steps stop when the demo ends
        for name, reference in STEPS:
            console.rule(f"[bold]{name}")
            load_step(reference)(run)
    console.rule("[bold]done")
    for name, path in run.outputs.items():
        console.print(f"{name}: [link=file://{esc(path.resolve())}]{esc(path)}[/link]")
