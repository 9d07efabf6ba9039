"""The audit step of `marketloop demo`: audit the crawl the demo just made, write the report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from marketloop.clikit import console, esc, plain

if TYPE_CHECKING:
    from marketloop.demo import DemoRun

TOP_TICKETS = 5
#: where the crawl step leaves its dataset (the brief's key, and the crawl stage's)
CRAWL_KEYS = ("crawl", "crawl dataset")


def audit_step(run: DemoRun) -> None:
    """Audit the demo's crawl (else the workspace's latest) into WORKSPACE/reports/audit.html."""
    from marketloop.audit.engine import audit
    from marketloop.audit.report import write_html

    folder = next((run.outputs[k] for k in CRAWL_KEYS if k in run.outputs), None)
    if folder is None and not run.workspace.crawl_dirs():
        console.print("no crawl to audit yet: skipped (`marketloop crawl URL` makes one)")
        return
    folder = folder or run.workspace.latest_crawl()
    result = audit(folder, run.settings)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {esc(warning)}")
    report = write_html(result, run.workspace.reports_dir / "audit.html")
    table = Table(title=f"Top tickets of {len(result.tickets)}", header_style="bold")
    for column in ("severity", "check", "URLs", "impact", "example"):
        table.add_column(column)
    for ticket in result.tickets[:TOP_TICKETS]:
        example = ticket.examples[0].url if ticket.examples else ""
        table.add_row(ticket.severity.value, ticket.check, str(ticket.urls),
                      f"{ticket.impact:.1f}", plain(example))  # fmt: skip
    console.print(f"{len(result.issues)} issues on {len({i.url for i in result.issues})} URLs")
    console.print(table)
    run.outputs["audit report"] = report
