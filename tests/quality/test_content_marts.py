"""The loop closed on published content: `content_performance` (published brief x week) and
`content_decay` (clicks of the last 28 days against the 28 before), on DuckDB and PostgreSQL,
from published briefs recorded in the app database. Numbers are hand-computed below."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest import approx
from tests.quality.warehouses import (
    RECENT,
    TODAY,
    _contact,
    _ga4,
    _gsc,
    isolated,
    load_data,
    quality_settings,
)
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.config import app_db_url
from marketloop.content.brief import Brief
from marketloop.integrations.published import mark_live, published_briefs, record_published
from marketloop.quality.outcomes import (
    content_performance,
    decaying_pages,
    performance_summary,
)
from marketloop.quality.run import run_quality
from marketloop.quality.warehouse import target_from_settings

N = TODAY - timedelta(days=1)  # the newest day of data
A, B, C = (f"https://www.shop.test/{name}/" for name in ("a", "b", "c"))
PUBLISHED_A = datetime.combine(N - timedelta(days=13), time(10), tzinfo=UTC)
LIVE_B = datetime.combine(N - timedelta(days=30), time(23, 30), tzinfo=UTC)


def _days(first: int, last: int) -> list[Any]:
    """N-first .. N-last, oldest first."""
    return [N - timedelta(days=d) for d in range(first, last - 1, -1)]


def search_data() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """56 days. A: 10 clicks a day (position 4), then 3 a day over the last 28 (position 8):
    280 -> 84, -70%: decaying. B: 5 a day throughout (140 -> 140). C: 1 a day for 15 days,
    then none: 15 -> 0, but under the 20 clicks decay needs."""
    gsc, ga4 = [], []
    for day in _days(55, 0):
        recent = day > N - timedelta(days=28)
        gsc.append(_gsc(day, "web", "page a", A, "usa", "DESKTOP", 3 if recent else 10, 100,
                        8.0 if recent else 4.0))  # fmt: skip
        gsc.append(_gsc(day, "web", "page b", B, "usa", "DESKTOP", 5, 50, 2.0))
        if day <= N - timedelta(days=41):
            gsc.append(_gsc(day, "web", "page c", C, "usa", "DESKTOP", 1, 10, 9.0))
        ga4.append(_ga4(day, "www.shop.test", "/a/", 20))
    at = {n: datetime.combine(N - timedelta(days=n), time(12), tzinfo=UTC) for n in (3, 16)}
    contacts = [
        _contact("k1", "lead", A + "?utm_source=x", 0) | {"createdate": at[3]},  # week 1
        _contact("k2", "lead", A, 0) | {"createdate": at[16]},  # week -1
        _contact("k3", "lead", A, 0, archived=True) | {"createdate": at[3]},  # left out
        _contact("k4", "lead", B, 0) | {"createdate": at[3]},
    ]
    return {
        "gsc": {"search_analytics": gsc},
        "ga4": {"pages": ga4},
        "hubspot": {"contacts": [c | {"hs_lastmodifieddate": RECENT} for c in contacts]},
    }


def _brief(slug: str, action: str, url: str | None) -> Brief:
    return Brief.model_validate(
        {
            "slug": slug,
            "cluster": slug.replace("-", " "),
            "action": action,
            "target_url": url,
            "title_options": ["T"],
            "meta_description": "M",
            "h1": "H",
            "outline": [{"level": 2, "heading": "S"}],
            "primary_terms": [{"term": "t"}],
            "intent": "informational",
            "audience": "a",
            "word_count_min": 500,
            "word_count_max": 900,
            "call_to_action": "c",
        }
    )


@dataclass
class Closed:
    report: dict[str, Any]
    performance: list[dict[str, Any]]
    decaying: list[Any]
    published: list[dict[str, Any]]


def build(root: Path, warehouse: dict[str, str] | None = None) -> Closed:
    with isolated(root):
        settings = quality_settings(root / "ws", warehouse, lookback_days=0)
        target = target_from_settings(settings)
        if target.path is not None:
            target.path.parent.mkdir(parents=True, exist_ok=True)
        load_data(target, root / "ws" / "dlt", search_data())
        db = app_db_url(settings)
        record_published(db, _brief("refresh-a", "update", A), "notion", at=PUBLISHED_A)
        record_published(db, _brief("refresh-a", "update", A), "webhook")  # first one wins
        record_published(db, _brief("new-piece", "new", None), "notion")  # no URL yet
        mark_live(db, "b-live", B, LIVE_B)  # a new piece gone live
        report = run_quality(settings)
        return Closed(
            report, content_performance(settings), decaying_pages(settings), published_briefs(db)
        )


def check(closed: Closed) -> None:
    assert closed.report["status"] == "pass", closed.report["reasons"]
    assert [(p["slug"], p["published_at"]) for p in closed.published][:2] == [
        ("b-live", LIVE_B),
        ("refresh-a", PUBLISHED_A),
    ]
    rows = closed.performance
    a = [r for r in rows if r["slug"] == "refresh-a"]
    assert [r["week"] for r in a] == [-4, -3, -2, -1, 0, 1]
    assert [r["period"] for r in a] == ["before"] * 4 + ["after"] * 2
    assert [r["clicks"] for r in a] == [70, 70, 21, 21, 21, 21]
    assert [r["impressions"] for r in a] == [700] * 6
    assert [r["position"] for r in a] == [approx(4.0)] * 2 + [approx(8.0)] * 4
    assert [r["sessions"] for r in a] == [140] * 6
    assert [r["leads"] for r in a] == [0, 0, 0, 1, 0, 1]
    assert a[4]["week_start"] == PUBLISHED_A.date()
    assert a[5]["week_end"] == N
    b = [r for r in rows if r["slug"] == "b-live"]
    assert [r["week"] for r in b] == list(range(-4, 5))  # 30 days: weeks 0-3 after, 4 since
    assert b[-1]["period"] == "since" and b[-1]["days_with_data"] == 3  # N-2 .. N
    assert {r["slug"] for r in rows} == {"refresh-a", "b-live"}  # no URL, nothing to measure

    summary = {s["slug"]: s for s in performance_summary(rows)}
    assert (summary["refresh-a"]["clicks_before"], summary["refresh-a"]["clicks_after"]) == (
        182,
        42,
    )
    assert summary["refresh-a"]["position_before"] == approx((4 * 1400 + 8 * 1400) / 2800)
    assert summary["b-live"]["clicks_since"] == 15
    assert summary["b-live"]["leads_after"] == 1

    assert [d.url for d in closed.decaying] == [A]
    decay = closed.decaying[0]
    assert (decay.clicks_before, decay.clicks_recent) == (280, 84)
    assert decay.clicks_change == approx(-0.7)
    assert (decay.recent_start, decay.recent_end) == (N - timedelta(days=27), N)
    assert decay.queries == ["page a"]


@pytest.fixture(scope="module")
def duck_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Closed]:
    root = tmp_path_factory.mktemp("closed")
    return root, build(root)


def test_duckdb_content_performance_and_decay(duck_root: tuple[Path, Closed]) -> None:
    check(duck_root[1])


def test_briefs_generate_writes_an_update_brief_per_decaying_page(
    duck_root: tuple[Path, Closed], cli: CliRunner, tmp_path: Path
) -> None:
    root, _ = duck_root
    out = tmp_path / "briefs"
    args = ["briefs", "generate", "--clusters", "crm software", "--out", str(out)]
    result = cli.invoke(app, [*args, "--provider", "offline", "--format", "json",
                              "-w", str(root / "ws")])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {r["slug"]: r for r in json.loads(result.stdout)}
    assert (rows["page-a"]["action"], rows["page-a"]["target_url"]) == ("update", A)
    assert rows["crm-software"]["action"] == "new"
    assert "update brief for decaying page 'https://www.shop.test/a/': 280 -> 84" in result.stderr
    no = cli.invoke(app, [*args, "--no-decaying", "--provider", "offline", "--format", "json",
                          "-w", str(root / "ws")])  # fmt: skip
    assert [r["slug"] for r in json.loads(no.stdout)] == ["crm-software"]


def test_the_briefs_step_writes_the_same_update_briefs_as_the_cli(
    duck_root: tuple[Path, Closed], tmp_path: Path
) -> None:
    """The loop's `briefs.generate` gathers its clusters as `briefs generate` does (one
    function): decaying pages get update briefs in the runner too, unless `decaying: false`."""
    from marketloop.actions import ActionContext, get_action
    from marketloop.config import load_settings

    root, _ = duck_root
    settings = load_settings(None, {"workspace": root / "ws"})
    action = get_action("briefs.generate")
    context = ActionContext(settings, run_id="r1", step="briefs")
    for decaying, slugs in ((True, {"crm-software", "page-a"}), (False, {"crm-software"})):
        out = tmp_path / f"briefs {decaying} <'&\">[/]"
        args = {"clusters": "crm software", "out": str(out), "provider": "offline"}
        result = action.run(context, action.args.model_validate({**args, "decaying": decaying}))
        assert result.facts["briefs"] == len(slugs)
        assert {p.stem for p in out.glob("*.json") if not p.name.startswith("_")} >= slugs
        # the step lists what it wrote: the folder and the run's index (it listed the folder only)
        index = out / "_index.json"
        assert result.outputs == {"briefs": str(out), "briefs index": str(index)}
        written = json.loads(index.read_text(encoding="utf-8"))
        assert {b["slug"] for b in written["briefs"]} == slugs


def test_the_keywords_step_reports_published_content_and_decay_as_the_cli(
    duck_root: tuple[Path, Closed], tmp_path: Path
) -> None:
    """The loop's `keywords.cluster` writes the keyword report with the content_performance
    and decaying sections, as `keywords cluster --report` does (it wrote it without them)."""
    from marketloop.actions import ActionContext, get_action
    from marketloop.config import load_settings

    root, _ = duck_root
    keywords = tmp_path / "keywords.csv"
    keywords.write_text("keyword,volume\ncrm software,100\ncrm tools,50\n", encoding="utf-8")
    action = get_action("keywords.cluster")
    with isolated(root):
        settings = load_settings(None, {"workspace": root / "ws"})
        context = ActionContext(settings, run_id="r1", step="keywords")
        args = {"file": str(keywords), "mode": "lexical", "out": str(tmp_path / "c.json")}
        result = action.run(context, action.args.model_validate(args))
    html = Path(result.outputs["keyword report"]).read_text(encoding="utf-8")
    assert "Published content: before and after" in html and "Decaying pages" in html
    assert f'<a href="{A}">' in html and "refresh-a" in html


@pytest.mark.postgres
def test_postgres_content_performance_and_decay(postgres_url: str, tmp_path: Path) -> None:
    check(build(tmp_path, {"destination": "postgres", "credentials": postgres_url}))


def test_readers_without_a_warehouse_read_nothing(tmp_path: Path) -> None:
    with isolated(tmp_path):
        settings = quality_settings(tmp_path / "ws")
        assert (content_performance(settings), decaying_pages(settings)) == ([], [])


def test_performance_and_decaying_commands(duck_root: tuple[Path, Closed], cli: CliRunner) -> None:
    ws = str(duck_root[0] / "ws")
    summary = cli.invoke(app, ["briefs", "performance", "-f", "json", "-w", ws])
    assert summary.exit_code == 0, summary.output
    rows = {r["slug"]: r for r in json.loads(summary.stdout)}
    assert (rows["refresh-a"]["clicks_before"], rows["refresh-a"]["clicks_after"]) == (182, 42)
    weekly = cli.invoke(app, ["briefs", "performance", "--weekly", "-f", "csv", "-w", ws])
    assert weekly.stdout.splitlines()[0].startswith("slug,week,period,week_start")
    assert len(weekly.stdout.splitlines()) == 1 + 6 + 9
    decaying = cli.invoke(app, ["briefs", "decaying", "-f", "json", "-w", ws])
    assert [(d["url"], d["clicks_recent"]) for d in json.loads(decaying.stdout)] == [(A, 84)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "javascript:alert(1)"], "is not an http(s) URL"),
        (["--url", "https://x.test/\x1b[2J"], "is not an http(s) URL"),
        (["--url", "https://x.test/p", "--at", "2999-01-01"], "is in the future"),
        (["--url", "https://x.test/p", "--at", "<script>"], "is not a date"),
    ],
)
def test_live_refuses_bad_input(
    cli: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    result = cli.invoke(app, ["briefs", "live", "a-brief", *args, "-w", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert published_briefs(app_db_url(quality_settings(tmp_path))) == []


def test_live_records_and_corrects(cli: CliRunner, tmp_path: Path) -> None:
    ws = str(tmp_path)
    first = cli.invoke(app, ["briefs", "live", "crm", "--url", "https://x.test/crm", "--at",
                             "2026-11-02", "-f", "json", "-w", ws])  # fmt: skip
    assert first.exit_code == 0, first.output
    again = cli.invoke(app, ["briefs", "live", "crm", "--url", "https://x.test/crm-2", "--at",
                             "2026-11-03T09:30:00+01:00", "-f", "json", "-w", ws])  # fmt: skip
    assert again.exit_code == 0, again.output
    rows = published_briefs(app_db_url(quality_settings(tmp_path)))
    assert [(r["slug"], r["url"], r["published_at"]) for r in rows] == [
        ("crm", "https://x.test/crm-2", datetime(2026, 11, 3, 8, 30, tzinfo=UTC))
    ]


def test_the_published_briefs_migration_matches_the_model(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from marketloop.appdb import Base, open_app_db

    engine = open_app_db(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert [d for d in diff if "published_briefs" in repr(d)] == []


def test_a_warehouse_another_job_writes_is_read_from_its_copy_never_empty(
    duck_root: tuple[Path, Closed],
) -> None:
    import subprocess
    import sys

    from marketloop.quality.readcopy import read_copy
    from marketloop.quality.warehouse import WarehouseBusy

    @contextmanager
    def held(path: Path) -> Iterator[None]:  # a writer holding the file, as ingest does
        holder = subprocess.Popen(
            [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
             "print('held', flush=True); time.sleep(30)", str(path)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            yield
        finally:
            holder.kill()
            holder.communicate()

    root = duck_root[0]
    with isolated(root):
        settings = quality_settings(root / "ws")
        path = target_from_settings(settings).path
        assert path is not None
        read_copy(path).unlink(missing_ok=True)
        with held(path), pytest.raises(WarehouseBusy):  # no finished write to read yet
            decaying_pages(settings)
        before = decaying_pages(settings)  # makes the read copy
        with held(path):  # the state of the last finished write, not busy, never empty
            assert decaying_pages(settings) == before
        assert before


def test_live_takes_cluster_and_action_from_the_brief(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "briefs"
    folder.mkdir()
    brief = _brief("crm-guide", "update", "https://x.test/crm")
    (folder / "crm-guide.json").write_text(brief.model_dump_json(), encoding="utf-8")
    args = ["briefs", "live", "crm-guide", "--url", "https://x.test/crm-guide", "--briefs"]
    ok = cli.invoke(app, [*args, str(folder), "-f", "json", "-w", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    row = json.loads(ok.stdout)[0]
    assert (row["cluster"], row["action"], row["url"], row["channel"]) == (
        "crm guide", "update", "https://x.test/crm-guide", "live",
    )  # fmt: skip
    unknown = cli.invoke(app, ["briefs", "live", "nope", "--url", "https://x.test/",
                               "--briefs", str(folder), "-w", str(tmp_path)])  # fmt: skip
    said = " ".join(unknown.output.replace("│", " ").split())
    assert unknown.exit_code == 2 and "holds no valid brief 'nope'" in said


def test_the_content_performance_report(duck_root: tuple[Path, Closed], tmp_path: Path) -> None:
    from marketloop.quality.outcomes import read_outcomes, write_outcomes_html

    root = duck_root[0]
    with isolated(root):
        outcomes = read_outcomes(quality_settings(root / "ws"))
    html = write_outcomes_html(outcomes, tmp_path / "cp.html").read_text(encoding="utf-8")
    assert "published briefs measured: 2 · decaying pages: 1" in html
    assert f'<a href="{A}">' in html and ">182<" in html and "-70%" in html


def test_publish_steps_side_by_side_record_a_brief_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notion and webhook publish steps of one run record the same brief at the same moment:
    both looked, found nothing, and the second insert failed its step with a UNIQUE error."""
    from sqlalchemy.orm import Session

    db = f"sqlite:///{tmp_path / 'app.db'}"
    record_published(db, _brief("raced", "update", A), "notion")
    monkeypatch.setattr(Session, "get", lambda *a, **k: None)  # looked before the other committed
    record_published(db, _brief("raced", "update", A), "webhook")  # first one wins, no error
    monkeypatch.undo()
    assert [(r["slug"], r["channel"]) for r in published_briefs(db)] == [("raced", "notion")]
