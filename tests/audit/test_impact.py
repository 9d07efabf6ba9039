"""Tickets ranked by what their URLs are worth (impact.py, analytics.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from marketloop.audit.analytics import page_values
from marketloop.audit.config import AuditSettings, ImpactWeights
from marketloop.audit.engine import audit
from marketloop.audit.impact import PageValue, check_urls, page_key, rank
from marketloop.audit.model import Issue, Severity, Ticket
from marketloop.audit.tickets import as_text
from marketloop.config import Settings

from .conftest import MakeDataset


def _issue(check: str, severity: Severity, url: str, priority: float = 1.0) -> Issue:
    return Issue(check, severity, url, "detail", None, None, priority)


def _ticket(check: str, severity: Severity, impact: float) -> Ticket:
    return Ticket(check, severity, "what", "how", 1, impact, ())


CRITICAL = _issue("missing_title", Severity.critical, "https://example.com/rarely-visited")
WARNING = _issue("title_too_long", Severity.warning, "https://www.example.com/popular/")
FOUND = [(i.check, i.url) for i in (CRITICAL, WARNING)]  # (check, url) of each issue
# link-graph order: the critical first (it is critical and its page is well linked)
TICKETS = [
    _ticket("missing_title", Severity.critical, 30.0),
    _ticket("title_too_long", Severity.warning, 3.0),
]
VALUES = {
    "example.com/rarely-visited": PageValue(clicks=2, impressions=40, sessions=3),
    "example.com/popular": PageValue(clicks=500, impressions=20_000, sessions=900),
}


def test_a_low_traffic_critical_ranks_below_a_high_traffic_warning() -> None:
    weights = ImpactWeights(clicks=1, impressions=0, sessions=0, leads=0, open_deal_value=0)
    ranked = rank(TICKETS, FOUND, VALUES, weights)
    # critical: weight 10 × 2 clicks = 20; warning: weight 3 × 500 clicks = 1500. Severity
    # multiplies traffic, so 250 times the clicks outweighs the 10/3 severity ratio.
    assert [(t.check, t.impact) for t in ranked] == [
        ("title_too_long", 1500.0),
        ("missing_title", 20.0),
    ]
    assert ranked[0].basis == "analytics"
    assert ranked[0].top[0].url == WARNING.url and ranked[0].top[0].clicks == 500


def test_the_weights_decide_when_value_is_elsewhere() -> None:
    values = {**VALUES, "example.com/rarely-visited": PageValue(clicks=2, leads=40)}
    weights = ImpactWeights(clicks=1, impressions=0, sessions=0, leads=100, open_deal_value=0)
    ranked = rank(TICKETS, FOUND, values, weights)
    # the rarely visited page brings 40 leads: 10 × (2 + 4000) beats 3 × 500
    assert [t.check for t in ranked] == ["missing_title", "title_too_long"]
    assert ranked[0].impact == 40_020.0


def test_an_issue_table_ranks_like_its_pairs_and_a_url_counts_once_per_check() -> None:
    weights = ImpactWeights(clicks=1, impressions=0, sessions=0, leads=0, open_deal_value=0)
    # the popular page twice under one check (two details): its value is summed once
    twice = _issue("title_too_long", Severity.warning, WARNING.url)
    table = pa.table(
        {
            "check": [i.check for i in (CRITICAL, WARNING, twice)],
            "url": [i.url for i in (CRITICAL, WARNING, twice)],
        }
    )
    from_table = rank(TICKETS, check_urls(table), VALUES, weights)
    assert from_table == rank(TICKETS, FOUND, VALUES, weights)
    assert [(t.check, t.impact) for t in from_table] == [
        ("title_too_long", 1500.0),
        ("missing_title", 20.0),
    ]


def test_without_analytics_the_link_graph_ranking_stays() -> None:
    ranked = rank(TICKETS, FOUND, {}, ImpactWeights())
    assert ranked == TICKETS and all(t.basis == "links" for t in ranked)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://WWW.Example.com/Blog/?utm_source=x", "example.com/Blog"),
        ("http://example.com:80/", "example.com/"),
        ("https://user@example.com./caf%C3%A9/#top", "example.com/café"),
        ("https://example.com/bad%FFescape", "example.com/bad%FFescape"),
    ],
)
def test_page_key_matches_the_warehouse_macro(url: str, key: str) -> None:
    assert page_key(url) == key


def _warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marketloop_marts")
    con.execute(
        "create table marketloop_marts.page_performance as select * from (values "
        "('example.com/', date '2026-01-01', 1000, 50000, 3000), "  # outside a 28-day window
        "('example.com/', date '2026-03-01', 10, 100, 30), "
        "('example.com/pricing', date '2026-03-02', 400, 9000, 800)) "
        "t(page_key, date, clicks, impressions, sessions)"
    )
    con.execute(
        "create table marketloop_marts.landing_page_leads as select * from (values "
        "('example.com/pricing', 7, 12000.0), (null, 1, 1.0)) t(page_key, leads, open_deal_value)"
    )
    con.close()


def _settings(tmp_path: Path, weights: ImpactWeights | None = None) -> Settings:
    audit_settings = AuditSettings(impact=weights or ImpactWeights())
    return Settings(workspace=tmp_path, audit=audit_settings)


def test_page_values_read_the_marts_over_the_window(tmp_path: Path) -> None:
    assert page_values(_settings(tmp_path)) == {}  # no warehouse: no analytics, no error
    _warehouse(tmp_path / "warehouse.duckdb")
    values = page_values(_settings(tmp_path))
    assert values["example.com/"] == PageValue(clicks=10, impressions=100, sessions=30)
    assert values["example.com/pricing"] == PageValue(400, 9000, 800, 7, 12000.0)
    wide = page_values(_settings(tmp_path, ImpactWeights(window_days=365)))
    assert wide["example.com/"].clicks == 1010


def test_an_audit_with_analytics_shows_its_formula_and_figures(
    make_dataset: MakeDataset, tmp_path: Path
) -> None:
    folder = make_dataset([{"page": {"url": "/pricing", "response_time_ms": 1500.0}}])
    _warehouse(tmp_path / "warehouse.duckdb")
    settings = _settings(tmp_path)
    result = audit(folder, settings, values=page_values(settings), save=False)
    (ticket,) = result.tickets
    assert ticket.basis == "analytics" and result.formula and "28 days" in result.formula
    # 3 (warning) × (400 + 9000×0.01 + 800×0.5 + 7×25 + 12000×0.01)
    assert ticket.impact == pytest.approx(3 * (400 + 90 + 400 + 175 + 120))
    assert "https://example.com/pricing — 400 · 9000 · 800 · 7 · 12000" in as_text(ticket)
