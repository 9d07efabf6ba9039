"""Overview (LLM spend against the budget, source freshness, the model decision), Tickets
(tracker links, sync state, the formula) and the decision records, on the seeded workspace."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.api.conftest import CRAWL_ID
from tests.web.conftest import log_in

from marketloop.api.app import create_app
from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url
from marketloop.workspace import Workspace

HOSTILE = "<script>alert(1)</script>\"'&=cmd"


def _call(model: str, cost: float, at: datetime) -> dict[str, object]:
    return {"run_id": "r", "at": at, "purpose": "draft", "label": "x", "model": model,
            "prompt_version": None, "prompt_tokens": 10, "completion_tokens": 10,
            "cost_usd": cost, "latency_ms": 1.0, "cache_hit": False, "retries": 0,
            "status": "ok"}  # fmt: skip


def _web(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.mark.usefixtures("seeded", "users")
def test_llm_spend_of_this_month_against_the_budget(
    make_settings: Callable[..., Settings],
) -> None:
    import sqlalchemy as sa

    from marketloop.content.tables import LlmCall

    settings = make_settings(observe={"llm_monthly_budget_usd": 5})
    now = datetime.now(UTC)
    last_month = now.replace(day=1) - timedelta(days=2)
    with open_app_db(app_db_url(settings)).begin() as con:
        con.execute(sa.insert(LlmCall), [_call("gpt-4.1-mini", 4.25, now),
                                         _call("gpt-4.1-mini", 2.0, now),
                                         _call("gpt-4.1-mini", 100.0, last_month),
                                         _call(HOSTILE, 0.0, now)])  # fmt: skip
    with _web(settings) as web:
        log_in(web, "viewer")
        page = web.get("/").text
    card = page[page.index('id="h-spend"') : page.index('id="h-fresh"')]
    assert "$6.25</strong> of $5.00 budget (125%)" in card  # last month's call is left out
    assert 'class="status over"' in card and "3 calls" in card
    assert "<script>" not in card and html.escape(HOSTILE) in card.replace(
        "&#34;", "&quot;"
    ).replace("&#39;", "&#x27;")


@pytest.mark.usefixtures("seeded", "users")
def test_no_budget_says_where_to_set_it(client: TestClient, login: Callable) -> None:
    login("viewer")
    card = client.get("/").text.split('id="h-spend"')[1]
    assert "$0.00</strong>" in card and "llm_monthly_budget_usd" in card


@pytest.mark.usefixtures("seeded")
def test_freshness_per_source_from_the_newest_quality_step(
    settings: Settings, client: TestClient, login: Callable
) -> None:
    from marketloop.runner.tables import RunRow, StepRow

    moment = datetime.now(UTC)
    with Session(open_app_db(app_db_url(settings))) as s, s.begin():
        for n, (hours, status) in enumerate([(1, "succeeded"), (80, "failed")]):
            s.add(RunRow(id=f"r{n}", loop="weekly", status=status, trigger="manual",
                         definition={}, created_at=moment))  # fmt: skip
            loaded = {
                "ga4": (moment - timedelta(hours=hours)).isoformat(),
                "gsc": (moment - timedelta(hours=30)).isoformat(),
                HOSTILE: "<b>x",
            }
            s.add(StepRow(run_id=f"r{n}", name="quality", position=0, action="quality",
                          status=status, finished_at=moment + timedelta(minutes=n),
                          facts={"loaded": loaded}))  # fmt: skip
    login("viewer")
    card = client.get("/").text.split('id="h-fresh"')[1].split("</section>")[0]
    # the newest step (80 h) wins; ga4 errors after 72 h, gsc warns after 26 h
    assert re.search(r"ga4: loaded 3\.3 days ago <span class=\"status error\">", card), card
    assert re.search(r"gsc: loaded 30\.0 h ago <span class=\"status warn\">", card), card
    assert "<script>" not in card and "<b>" not in card


@pytest.mark.usefixtures("seeded")
def test_freshness_empty_says_what_to_run(client: TestClient, login: Callable) -> None:
    login("viewer")
    assert "<code>marketloop quality run</code>" in client.get("/").text


def _jira_row(settings: Settings, check: str, key: str, state: str) -> None:
    from marketloop.integrations.jira_issue import fingerprint
    from marketloop.integrations.jira_records import JiraTicketRow

    with Session(open_app_db(app_db_url(settings))) as s, s.begin():
        s.add(JiraTicketRow(project="SEO", fingerprint=fingerprint("example.com", check),
                            issue_key=key, check=check, site="example.com", count=7,
                            digest="d", state=state, updated_at=datetime.now(UTC)))  # fmt: skip


@pytest.mark.usefixtures("seeded", "users")
def test_tickets_link_to_jira_with_the_last_sync_state(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(jira={"url": "https://acme.atlassian.net", "project": "SEO"})
    with _web(settings) as web:
        log_in(web, "viewer")
        before = web.get("/tickets").text
        checks = re.findall(r'check=([^"]+)">', before)
        assert checks and "No ticket of this site is in Jira yet" in before
        _jira_row(settings, checks[0], 'SEO-12"><script>x</script>', "open")
        page = web.get("/tickets").text
    link = '<a href="https://acme.atlassian.net/browse/SEO-12%22%3E%3Cscript%3Ex%3C/script%3E"'
    assert link in page and "SEO-12&#34;&gt;&lt;script&gt;x&lt;/script&gt;</a>" in page
    assert '<span class="status open">open</span>' in page and "7 URLs" in page
    assert "<script>x" not in page and "No ticket of this site" not in page
    assert "log2(1 + referring pages)" in page and "clicks×" in page  # both formulas


@pytest.mark.usefixtures("seeded")
def test_tickets_without_jira_say_how_to_link_them(client: TestClient, login: Callable) -> None:
    login("viewer")
    page = client.get("/tickets").text
    assert "once [jira] url and project are set" in page and "—</td>" in page


@pytest.mark.usefixtures("seeded")
def test_tickets_follow_a_new_audit(settings: Settings, client: TestClient,
                                    login: Callable) -> None:  # fmt: skip
    """The tickets are kept per version of issues.parquet: a re-audit shows at once."""
    from marketloop.audit.store import read_issues, write_issues

    login("viewer")
    folder = Workspace(settings.workspace).crawls_dir / CRAWL_ID
    first = client.get("/tickets").text
    issues, record = read_issues(folder)  # type: ignore[misc]
    assert issues and first.count("<tr><td>") >= 1
    write_issues(folder, [], record)  # a re-audit that finds nothing
    assert "found nothing to fix" in client.get("/tickets").text


@pytest.mark.usefixtures("seeded")
def test_decision_records_are_linked_and_served_inert(
    settings: Settings, client: TestClient, login: Callable, tmp_path: Path
) -> None:
    folder = Workspace(settings.workspace).reports_dir / "decisions"
    folder.mkdir(parents=True)
    old, new = "decision-briefs-20260101T000000Z", "decision-briefs-20260301T000000Z"
    for name in (old, new):
        (folder / f"{name}.html").write_text(f"<h1>{name}</h1>", "utf-8")
        (folder / f"{name}.md").write_text(f"# {name} {HOSTILE}", "utf-8")
    (folder / "notes.html").write_text("not a record", "utf-8")
    login("viewer")
    overview = client.get("/").text
    assert f'href="/evals/decisions/{new}.html"' in overview
    evals = client.get("/evals").text
    assert evals.index(new) < evals.index(old) and "notes.html" not in evals
    record = client.get(f"/evals/decisions/{new}.html")
    assert record.status_code == 200 and new in record.text
    assert "default-src 'none'" in record.headers["content-security-policy"]
    md = client.get(f"/evals/decisions/{new}.md")
    assert md.headers["content-type"].startswith("text/markdown") and HOSTILE in md.text
    for bad in ("notes.html", "..%2F..%2Fmarketloop.toml", "decision-x-20260101T000000Z.html"):
        assert client.get(f"/evals/decisions/{bad}").status_code == 404, bad
    shutil.rmtree(folder)
    assert "none recorded yet" in client.get("/").text


def test_the_plan_is_parsed_once_per_version_of_its_file(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    from tests.api.conftest import PLAN

    from marketloop.api.routes.plan import open_tracker
    from marketloop.plan.loader import PlanFileError

    copy = tmp_path / "plan.yaml"
    shutil.copy(PLAN, copy)
    settings = make_settings(plan={"file": copy})
    engine = open_app_db(app_db_url(settings))
    first = open_tracker(settings, engine).plan
    assert open_tracker(settings, engine).plan is first
    copy.write_text(PLAN.read_text("utf-8") + "\n# edited\n", "utf-8")
    assert open_tracker(settings, engine).plan is not first  # a new version is read
    copy.write_text("id: [unclosed\n", "utf-8")
    with pytest.raises(PlanFileError):
        open_tracker(settings, engine)  # never the old plan for a broken file
