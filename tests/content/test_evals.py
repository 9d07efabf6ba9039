"""Eval suites, assertions, `eval run` × `eval compare` (SQLite, and PostgreSQL)."""

from __future__ import annotations

import contextlib
import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from marketloop.appdb import open_app_db
from marketloop.cli import app
from marketloop.config import app_db_url, load_settings
from marketloop.content.brief import Brief
from marketloop.content.errors import EvalError
from marketloop.content.evals.assertions import Output, evaluate
from marketloop.content.evals.compare import Summary
from marketloop.content.evals.suite import AssertionSpec, load_suite
from marketloop.content.tables import EvalResult, EvalRun
from marketloop.errors import ContentError
from marketloop.fakes.openai import FakeOpenAI

CASES = Path(__file__).parent / "cases"
EXAMPLE = Path(__file__).parents[2] / "examples" / "evals" / "briefs.yaml"


def run_eval(cli: CliRunner, *args: str) -> list[dict[str, object]]:
    result = cli.invoke(app, ["eval", "run", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_suite_resolves_named_and_inline_clusters() -> None:
    loaded = load_suite(CASES / "suite.yaml")
    assert [c.id for c in loaded.cases] == ["crm", "lead-scoring"]
    assert loaded.cases[0].cluster.intent == "commercial"
    assert loaded.cases[1].terms == ["lead scoring model"]
    assert loaded.cases[0].judge is not None and len(loaded.cases[0].judge.criteria) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\ncases:\n  - id: a\n    cluster: nope\n", "no cluster named 'nope'"),
        ("name: x\ncases: []\n", "cases: List should have at least 1 item"),
        ("name: x\ncases:\n  - id: a\n    cluster: {cluster: a, keywords: [a]}\n    bogus: 1\n",
         "bogus: Extra inputs"),
        ("name: [unclosed\n", "is not valid yaml"),
    ],
)  # fmt: skip
def test_bad_suites_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    with pytest.raises(EvalError, match=message):
        load_suite(path)


def brief(**overrides: object) -> Brief:
    base: dict[str, object] = {
        "slug": "x", "cluster": "lead scoring", "title_options": ["Lead scoring"],
        "meta_description": "m" * 100, "h1": "Lead scoring",
        "outline": [{"level": 2, "heading": "What lead scoring is"}],
        "primary_terms": [{"term": "lead scoring", "min_count": 2}], "intent": "informational",
        "audience": "a", "word_count_min": 100, "word_count_max": 200, "call_to_action": "c",
    }  # fmt: skip
    return Brief.model_validate({**base, **overrides})


CRAWLED = {"https://acme.test/pricing", "https://acme.test/blog/lead-scoring/"}
LINKED = brief(
    internal_links=[
        {"anchor": "pricing", "url": "https://www.acme.test/pricing/"},
        {"anchor": "guide", "url": "http://acme.test/blog/lead-scoring#model"},
    ]
)


@pytest.mark.parametrize(
    ("spec", "output", "passed"),
    [
        (AssertionSpec(type="terms_covered"), Output(brief(), "lead scoring once"), False),
        (AssertionSpec(type="terms_covered"), Output(brief(), "lead scoring, lead scoring"), True),
        (
            AssertionSpec(type="terms_covered", min_ratio=0.5),
            Output(brief(), "lead scoring, lead scoring", terms=["model"]),
            True,
        ),
        (AssertionSpec(type="terms_covered"), Output(brief()), True),  # the brief's own text
        (AssertionSpec(type="word_count"), Output(brief()), None),  # no draft: skipped
        (AssertionSpec(type="word_count", max=3), Output(brief(), "one two three four"), False),
        (AssertionSpec(type="readability", min=60, max=130), Output(brief(), "The cat sat."), True),
        (AssertionSpec(type="valid_schema"), Output(None, error="not valid twice"), False),
        (AssertionSpec(type="links_valid"), Output(brief()), None),  # no crawl, no draft
        (AssertionSpec(type="meta_length"), Output(brief(meta_description="short")), False),
        (AssertionSpec(type="links_valid"), Output(LINKED, known_urls=CRAWLED), True),
        (
            AssertionSpec(type="links_valid"),
            Output(LINKED, known_urls={"https://acme.test/pricing"}),
            False,
        ),
        (
            AssertionSpec(type="links_valid"),
            Output(LINKED, "[p](/pricing/#plans)", known_urls=CRAWLED),
            True,
        ),
        (
            AssertionSpec(type="links_valid"),
            Output(LINKED, "[p](https://www.acme.test/gone)", known_urls=CRAWLED),
            False,
        ),
    ],
)
def test_assertions(spec: AssertionSpec, output: Output, passed: bool | None) -> None:
    (result,) = evaluate(output, [spec])
    assert result.passed is passed


def test_unknown_assertion_is_an_error() -> None:
    with pytest.raises(EvalError, match="unknown assertion 'typo'"):
        evaluate(Output(brief()), [AssertionSpec(type="typo")])


def test_eval_run_and_compare_on_sqlite(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    rows = run_eval(cli, str(CASES / "suite.yaml"), "--prompt", "draft@v1,brief@v1+draft@v2")
    by_variant = {r["variant"]: r for r in rows}
    v1, v2 = by_variant["brief@v2+draft@v1"], by_variant["brief@v1+draft@v2"]
    assert v1["cases"] == v2["cases"] == 2
    assert v2["pass_rate"] == 1.0 and v1["pass_rate"] == 0.0  # v1 leaves out the rules
    assert v1["no_banned_phrases"] == 0.0 and v2["no_banned_phrases"] == 1.0
    assert v2["judge"] is not None and v2["tokens"] > 0 and v2["cost_usd"] > 0

    engine = open_app_db(app_db_url(load_settings()))
    with engine.connect() as connection:
        run = connection.execute(select(EvalRun)).one()
        stored = connection.execute(select(EvalResult)).all()
    assert run.status == "finished" and run.variants == ["brief@v2+draft@v1", "brief@v1+draft@v2"]
    assert len(stored) == 4
    judged = next(r for r in stored if r.case_id == "crm")
    assert [s["name"] for s in judged.judge] == ["helpfulness", "clarity"]
    assert judged.output["draft"].startswith("# ") and judged.prompt_versions["draft"]

    table = cli.invoke(app, ["eval", "compare", "--format", "csv"])
    assert table.exit_code == 0 and table.stdout.splitlines()[0].startswith("variant,model")
    report = tmp_path / "eval.html"
    html = cli.invoke(app, ["eval", "compare", run.id, "--format", "html", "--out", str(report)])
    assert html.exit_code == 0, html.output
    page = report.read_text()
    assert page.count("<svg") >= 3 and "brief@v1+draft@v2 · gpt-4o-mini" in page
    assert "no banned phrases" in page and "helpfulness" in page


def test_two_runs_compare_side_by_side(cli: CliRunner, llm_env: FakeOpenAI) -> None:
    run_eval(cli, str(CASES / "suite.yaml"), "--models", "gpt-4o-mini")
    run_eval(cli, str(CASES / "suite.yaml"), "--models", "gpt-4o")
    with open_app_db(app_db_url(load_settings())).connect() as connection:
        runs = list(connection.execute(select(EvalRun.id).order_by(EvalRun.created_at)).scalars())
    result = cli.invoke(app, ["eval", "compare", *runs, "--format", "json"])
    rows = json.loads(result.stdout)
    assert {(r["run"], r["model"]) for r in rows} == {(runs[0], "gpt-4o-mini"), (runs[1], "gpt-4o")}


def test_offline_eval_skips_draft_assertions(cli: CliRunner, tmp_path: Path) -> None:
    rows = run_eval(cli, str(EXAMPLE), "--provider", "offline", "-w", str(tmp_path / "ws"))
    (row,) = rows
    assert row["variant"] == "offline" and row["cases"] == 4
    assert row["word_count"] is None and row["readability"] is None  # skipped: no draft
    assert row["valid_schema"] == 1.0 and row["tokens"] == 0


def test_the_example_suite_runs_against_the_fake(cli: CliRunner, llm_env: FakeOpenAI) -> None:
    rows = run_eval(cli, str(EXAMPLE), "--prompt", "draft@v1,draft@v2")
    assert {r["variant"] for r in rows} == {"brief@v2+draft@v1", "brief@v2+draft@v2"}
    assert all(r["errors"] == 0 for r in rows)


def test_compare_without_runs_says_what_to_do(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["eval", "compare", "-w", str(tmp_path / "ws")])
    assert isinstance(result.exception, EvalError) and "no eval runs yet" in str(result.exception)


def test_mlflow_export_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from marketloop.content.evals.mlflow_export import export

    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed
    with pytest.raises(ContentError, match="mlflow extra") as info:
        export("file:///tmp/x", "s", [Summary("r", "v", "m")])
    assert "marketloop[mlflow]" in str(info.value.hint)


class StubMlflow(types.ModuleType):
    """Records what the exporter asks of MLflow, in order."""

    def __init__(self) -> None:
        super().__init__("mlflow")
        self.calls: list[tuple[str, object]] = []

    def set_tracking_uri(self, uri: str) -> None:
        self.calls.append(("set_tracking_uri", uri))

    def set_experiment(self, name: str) -> None:
        self.calls.append(("set_experiment", name))

    @contextlib.contextmanager
    def start_run(self, run_name: str) -> Iterator[object]:
        self.calls.append(("start_run", run_name))
        yield types.SimpleNamespace(info=types.SimpleNamespace(run_id=f"ml-{len(self.calls)}"))
        self.calls.append(("end_run", run_name))

    def log_params(self, params: dict[str, object]) -> None:
        self.calls.append(("log_params", params))

    def log_metrics(self, metrics: dict[str, float]) -> None:
        self.calls.append(("log_metrics", metrics))

    def named(self, name: str) -> list[object]:
        return [value for call, value in self.calls if call == name]


def test_mlflow_export_logs_one_run_per_variant_and_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from marketloop.content.evals.mlflow_export import export

    stub = StubMlflow()
    monkeypatch.setitem(sys.modules, "mlflow", stub)
    summaries = [
        Summary("ev-1", "brief@v2+draft@v1", "gpt-4o-mini", cases=4, passed=3,
                assertions={"terms": 0.75, "links": None}, judge=4.5, prompt_tokens=100,
                completion_tokens=50, cost_usd=0.01, latency_ms=120.0),
        Summary("ev-1", "brief@v2+draft@v2", "gpt-4o", cases=4, passed=4),
    ]  # fmt: skip
    ids = export("http://mlflow.local:5000", "briefs", summaries)
    assert stub.calls[:2] == [
        ("set_tracking_uri", "http://mlflow.local:5000"),
        ("set_experiment", "marketloop-eval-briefs"),
    ]
    assert stub.named("start_run") == [
        "brief@v2+draft@v1 · gpt-4o-mini",
        "brief@v2+draft@v2 · gpt-4o",
    ]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert stub.named("log_params") == [
        {"eval_run": "ev-1", "variant": "brief@v2+draft@v1", "model": "gpt-4o-mini"},
        {"eval_run": "ev-1", "variant": "brief@v2+draft@v2", "model": "gpt-4o"},
    ]
    first, second = stub.named("log_metrics")
    assert first == {
        "pass_rate": 0.75, "cases": 4, "latency_ms": 120.0, "tokens": 150, "cost_usd": 0.01,
        "assert_terms": 0.75, "judge": 4.5,
    }  # fmt: skip
    assert second["pass_rate"] == 1.0 and "judge" not in second
    assert [c for c, _ in stub.calls[2:6]] == ["start_run", "log_params", "log_metrics", "end_run"]


def test_eval_run_with_mlflow_checks_the_extra_before_calling_a_model(
    cli: CliRunner, llm_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed
    result = cli.invoke(app, ["eval", "run", str(CASES / "suite.yaml"), "--mlflow", "file:///x"])
    assert isinstance(result.exception, ContentError) and "mlflow extra" in str(result.exception)
    assert llm_env.calls == 0  # nothing was paid for
    with open_app_db(app_db_url(load_settings())).connect() as connection:
        assert connection.execute(select(func.count()).select_from(EvalRun)).scalar() == 0


def test_eval_run_exports_every_variant_and_model_to_mlflow(
    cli: CliRunner, llm_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = StubMlflow()
    monkeypatch.setitem(sys.modules, "mlflow", stub)
    args = ["--prompt", "draft@v1", "--prompt", "draft@v2", "--model", "gpt-4o-mini,gpt-4o"]
    run_eval(cli, str(CASES / "suite.yaml"), *args, "--mlflow", "http://mlflow.local:5000")
    assert sorted((p["variant"], p["model"]) for p in stub.named("log_params")) == [  # type: ignore[index]
        ("brief@v2+draft@v1", "gpt-4o"),
        ("brief@v2+draft@v1", "gpt-4o-mini"),
        ("brief@v2+draft@v2", "gpt-4o"),
        ("brief@v2+draft@v2", "gpt-4o-mini"),
    ]
    assert len(stub.named("log_metrics")) == 4


@pytest.mark.postgres
def test_eval_run_and_compare_on_postgres(
    cli: CliRunner, llm_env: FakeOpenAI, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_url.replace("postgresql://", "postgresql+psycopg://")
    monkeypatch.setenv("MARKETLOOP_APP_DB_URL", url)
    rows = run_eval(cli, str(CASES / "suite.yaml"), "--prompt", "draft@v1,draft@v2")
    assert len(rows) == 2
    with open_app_db(url).connect() as connection:
        assert connection.execute(select(func.count()).select_from(EvalResult)).scalar() == 4
        assert connection.execute(select(EvalRun.status)).scalar() == "finished"
    table = cli.invoke(app, ["eval", "compare", "--format", "json"])
    assert {r["variant"] for r in json.loads(table.stdout)} == {
        "brief@v2+draft@v1",
        "brief@v2+draft@v2",
    }
