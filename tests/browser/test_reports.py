"""The HTML reports as a person sees them: rendered by Chromium, charts drawn to scale, links
that work, nothing fetched from the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.audit.builder import Site

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.audit.report import write_html
from marketloop.plan.loader import load_plan

pytestmark = pytest.mark.browser

EXAMPLE_PLAN = Path(__file__).resolve().parents[2] / "examples/plans/ai-marketing-sprint.yaml"


AXE = Path(__file__).resolve().parents[1] / "web" / "vendor" / "axe-core-4.14.1.min.js"


def charts_are_named(page: Any) -> None:
    """axe-core's rules for images drawn as SVG: every chart has an accessible name."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['svg-img-alt', 'role-img-alt'],"
        " resultTypes: ['violations', 'passes']})"
    )
    assert not result["violations"], [v["nodes"][0]["target"] for v in result["violations"]]
    checked = sum(len(r["nodes"]) for r in result["passes"])
    assert checked == page.locator("svg[role=img]").count() > 0


def bar_widths(chart: Any) -> dict[str, float]:
    """Width of each bar of an hbar chart, keyed by its label (from the <title> of the bar)."""
    result: dict[str, float] = chart.locator("rect").evaluate_all(
        """rects => Object.fromEntries(rects.map(r => [
            r.querySelector('title').textContent.split(':')[0],
            r.getBoundingClientRect().width]))""",
    )
    return result


def test_audit_report_charts_and_ticket_links(page: Any, tmp_path: Path) -> None:
    site = Site.clean()
    site.apply([{"page": {"url": "/pricing", "titles": []}}])  # missing_title (critical)
    site.apply([{"page": {"url": "/blog", "meta_descriptions": []}}])  # a warning
    site.apply([{"page": {"url": "/blog/first-post", "meta_descriptions": []}}])  # and another
    result = audit(site.write(tmp_path / "crawl"), AuditSettings())
    report = write_html(result, tmp_path / "audit.html")

    page.goto(report.as_uri())
    assert page.title().startswith("SEO audit")
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 20

    widths = bar_widths(charts.first)
    assert widths["warning"] == pytest.approx(2 * widths["critical"], rel=0.02)

    page.get_by_role("link", name="missing_title").first.click()
    assert page.url.endswith("#check-missing_title")
    section = page.locator("#check-missing_title")
    assert section.is_visible() and "/pricing" in section.inner_text()
    charts_are_named(page)
    assert page.errors == []


def test_plan_memo_gantt_marks_today_and_the_critical_path(page: Any, tmp_path: Path) -> None:
    from datetime import time

    from marketloop.appdb import open_app_db
    from marketloop.plan.memo import build_memo, html
    from marketloop.plan.store import EventLog
    from marketloop.plan.tracker import Tracker

    plan = load_plan(EXAMPLE_PLAN)
    tracker = Tracker(plan, EventLog(open_app_db(f"sqlite:///{tmp_path / 'app.db'}"), plan.id))
    sprint = plan.sprint
    at = sprint.at_time(sprint.date_of(14), time(17))
    tracker.slip("day14", 2, "seats not approved", sprint.at_time(sprint.date_of(14), time(10)))
    view = tracker.view(at)
    path = tmp_path / "memo.html"
    path.write_text(html(build_memo(view), view), encoding="utf-8")

    page.goto(path.as_uri())
    gantt = page.locator("svg.chart").first
    box = gantt.bounding_box()
    assert box is not None and box["width"] > 400
    assert gantt.locator("rect").count() >= len(plan.work)  # a bar per task at least
    assert "day14" in page.locator("body").inner_text()
    charts_are_named(page)
    assert page.errors == []
