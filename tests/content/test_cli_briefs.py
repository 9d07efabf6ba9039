"""`marketloop briefs generate`: offline, with the fake LLM, --show-prompt, resuming."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.config import load_settings
from marketloop.content.brief import Brief
from marketloop.content.llm.prompts import load_prompt
from marketloop.content.offline import BriefContext, write_brief
from marketloop.content.site import load_pages
from marketloop.content.writer import brief_request
from marketloop.errors import ConfigError, ContentError, KeywordsError
from marketloop.fakes.openai import FakeOpenAI, Knobs
from marketloop.keywords.model import Cluster

from .conftest import crm_cluster

SRC = Path(__file__).parents[2] / "src"


@pytest.fixture
def clusters_file(tmp_path: Path) -> Path:
    email = Cluster(
        cluster="email marketing automation",
        keywords=["email marketing automation", "email automation tools"],
        intent="informational",
    )
    path = tmp_path / "clusters.json"
    path.write_text(json.dumps([crm_cluster().model_dump(), email.model_dump()]))
    return path


def generate(cli: CliRunner, *args: str) -> object:
    return cli.invoke(app, ["briefs", "generate", *args])


def test_offline_briefs_with_crawl_links(
    cli: CliRunner, clusters_file: Path, crawl_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "briefs"
    result = generate(
        cli, "--clusters", str(clusters_file), "--crawl", str(crawl_dir), "--out", str(out),
        "--provider", "offline", "--format", "json", "-w", str(tmp_path / "ws"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["slug"]: r["status"] for r in rows} == {
        "crm-software": "written",
        "email-marketing-automation": "written",
    }
    brief = Brief.model_validate_json((out / "crm-software.json").read_text())
    crawled = {p.url for p in load_pages(crawl_dir)}
    assert brief.internal_links and {link.url for link in brief.internal_links} <= crawled
    index = json.loads((out / "_index.json").read_text())
    assert index["provider"] == "offline" and index["crawl"] == str(crawl_dir)
    assert not (out / "crm-software.md").exists()


def test_show_prompt_prints_the_exact_request_and_sends_nothing(
    cli: CliRunner, llm_env: FakeOpenAI, clusters_file: Path
) -> None:
    result = generate(cli, "--clusters", str(clusters_file), "--show-prompt", "--drafts")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert [s["slug"] for s in shown] == ["crm-software", "email-marketing-automation"]
    settings = load_settings()
    clusters = [crm_cluster(), Cluster.model_validate(json.loads(clusters_file.read_text())[1])]
    expected = brief_request(
        write_brief(clusters[0], BriefContext(clusters=clusters)),
        clusters[0],
        load_prompt("brief@v2"),
        settings.llm,
    ).body()
    assert shown[0]["requests"][0] == expected
    assert shown[0]["requests"][0]["response_format"]["json_schema"]["strict"] is True
    assert "response_format" not in shown[0]["requests"][1]  # the draft is Markdown
    assert llm_env.calls == 0


def test_a_rerun_keeps_valid_briefs_and_retries_failed_ones(
    cli: CliRunner, llm_env: FakeOpenAI, clusters_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "briefs"
    args = ["--out", str(out)]
    assert generate(cli, "--clusters", "email marketing automation", *args).exit_code == 0
    kept = (out / "email-marketing-automation.json").stat().st_mtime_ns
    assert len(llm_env.requests) == 1

    llm_env.knobs.invalid_json = 2  # the CRM brief gets two broken answers
    failed = generate(cli, "--clusters", str(clusters_file), *args)
    assert isinstance(failed.exception, ContentError)
    assert "1 of 2 briefs failed" in str(failed.exception)
    assert len(llm_env.requests) == 3  # the kept brief sent nothing
    assert (out / "failed" / "crm-software.brief.txt").read_text().count("not valid JSON") >= 1
    assert not (out / "crm-software.json").exists()
    index = {e["slug"]: e for e in json.loads((out / "_index.json").read_text())["briefs"]}
    assert index["crm-software"]["status"] == "failed"
    assert index["email-marketing-automation"]["status"] == "kept"

    again = generate(cli, "--clusters", str(clusters_file), *args, "--format", "json")
    assert again.exit_code == 0, again.output
    assert {r["slug"]: r["status"] for r in json.loads(again.stdout)} == {
        "crm-software": "written",
        "email-marketing-automation": "kept",
    }
    assert (out / "email-marketing-automation.json").stat().st_mtime_ns == kept
    assert Brief.model_validate_json((out / "crm-software.json").read_text()).provider == "openai"

    drafts = generate(cli, "--clusters", str(clusters_file), *args, "--drafts", "--format", "json")
    assert drafts.exit_code == 0, drafts.output
    sent = llm_env.requests[4:]
    assert len(sent) == 2 and all("response_format" not in r for r in sent)  # drafts only
    checks = json.loads((out / "checks" / "crm-software.json").read_text())
    assert [c["name"] for c in checks] == ["terms", "length", "banned_phrases", "claims", "links"]
    assert (out / "crm-software.md").read_text().startswith("# ")
    drafted = Brief.model_validate_json((out / "crm-software.json").read_text())
    assert (drafted.prompt_version, drafted.draft_prompt_version) == ("brief@v2", "draft@v2")


def test_update_briefs_tell_the_model_which_page_to_update(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    covered = crm_cluster(
        status="covered", page="https://acme.test/crm", pages=["https://acme.test/crm"]
    )
    path = tmp_path / "clusters.json"
    path.write_text(json.dumps([covered.model_dump()]))
    result = generate(cli, "--clusters", str(path), "--show-prompt", "--drafts")
    assert result.exit_code == 0, result.output
    brief_ask, draft_ask = json.loads(result.stdout)[0]["requests"]
    assert "UPDATES the existing page https://acme.test/crm" in json.dumps(brief_ask)
    assert "new version of the existing page https://acme.test/crm" in json.dumps(draft_ask)


def test_a_brief_whose_coverage_changed_is_replaced(cli: CliRunner, tmp_path: Path) -> None:
    out, path = tmp_path / "briefs", tmp_path / "clusters.json"
    args = ["--clusters", str(path), "--out", str(out), "--provider", "offline", "--format", "json"]
    path.write_text(json.dumps([crm_cluster().model_dump()]))
    assert statuses(generate(cli, *args)) == {"crm-software": ("written", "")}
    assert statuses(generate(cli, *args)) == {"crm-software": ("kept", "")}
    covered = crm_cluster(
        status="covered", page="https://acme.test/crm", pages=["https://acme.test/crm"]
    )
    path.write_text(json.dumps([covered.model_dump()]))
    assert statuses(generate(cli, *args)) == {
        "crm-software": (
            "written",
            "replaced: the cluster now needs update of https://acme.test/crm",
        )
    }
    brief = Brief.model_validate_json((out / "crm-software.json").read_text())
    assert (brief.action, brief.target_url) == ("update", "https://acme.test/crm")


def statuses(result: object) -> dict[str, tuple[str, str]]:
    rows = json.loads(result.stdout)  # type: ignore[attr-defined]
    return {r["slug"]: (r["status"], r["note"]) for r in rows}


def test_briefs_made_another_way_are_regenerated(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    out = tmp_path / "briefs"
    args = ["--clusters", "lead scoring", "--out", str(out), "--format", "json"]
    brief = lambda: Brief.model_validate_json((out / "lead-scoring.json").read_text())  # noqa: E731
    assert generate(cli, *args, "--provider", "offline").exit_code == 0

    llm = generate(cli, *args, "--provider", "openai")
    assert statuses(llm) == {"lead-scoring": ("written", "replaced the brief by offline")}
    assert (brief().provider, brief().prompt_version) == ("openai", "brief@v2")

    again = generate(cli, *args, "--provider", "openai")
    assert statuses(again) == {"lead-scoring": ("kept", "")}
    assert len(llm_env.requests) == 1

    other_prompt = generate(cli, *args, "--provider", "openai", "--prompt", "brief@v1")
    assert statuses(other_prompt)["lead-scoring"] == (
        "written",
        "replaced the brief by openai gpt-4o-mini brief@v2",
    )
    assert brief().prompt_version == "brief@v1" and len(llm_env.requests) == 2

    other_model = generate(cli, *args, "--provider", "openai", "--prompt", "brief@v1",
                           "--model", "gpt-4o")  # fmt: skip
    assert statuses(other_model)["lead-scoring"][0] == "written"
    assert brief().model == "gpt-4o" and llm_env.requests[-1]["model"] == "gpt-4o"


def test_an_offline_run_keeps_an_llm_brief_and_says_how_to_replace_it(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    args = ["--clusters", "lead scoring", "--out", str(tmp_path), "--format", "json"]
    assert generate(cli, *args, "--provider", "openai").exit_code == 0
    offline = generate(cli, *args, "--provider", "offline")
    status, note = statuses(offline)["lead-scoring"]
    assert status == "kept" and "openai gpt-4o-mini brief@v2" in note and "--force" in note
    forced = generate(cli, *args, "--provider", "offline", "--force")
    assert statuses(forced)["lead-scoring"][0] == "written"
    assert Brief.model_validate_json((tmp_path / "lead-scoring.json").read_text()).provider == (
        "offline"
    )


def test_a_draft_of_another_prompt_is_redrafted_and_a_replaced_brief_loses_its_draft(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    args = ["--clusters", "lead scoring", "--out", str(tmp_path), "--format", "json"]
    assert generate(cli, *args, "--drafts", "--prompt", "draft@v1").exit_code == 0
    assert len(llm_env.requests) == 2
    redraft = generate(cli, *args, "--drafts", "--prompt", "draft@v2")
    assert statuses(redraft)["lead-scoring"][0] == "written"
    assert len(llm_env.requests) == 3  # the brief was kept, only the draft was sent
    drafted = Brief.model_validate_json((tmp_path / "lead-scoring.json").read_text())
    assert drafted.draft_prompt_version == "draft@v2"

    generate(cli, *args, "--prompt", "brief@v1")  # a new brief, no draft asked for
    assert not (tmp_path / "lead-scoring.md").exists()
    assert not (tmp_path / "checks" / "lead-scoring.json").exists()


def test_summary_counts_tokens_cost_and_cache_hits(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    args = ["--clusters", "lead scoring", "--drafts", "--format", "json"]
    first = generate(cli, *args, "--out", str(tmp_path / "a"))
    row = json.loads(first.stdout)[0]
    assert row["tokens"] > 0 and row["cost_usd"] > 0 and row["cache_hits"] == 0
    assert row["checks"].endswith("/5")
    second = generate(cli, *args, "--out", str(tmp_path / "b"))  # same requests, another folder
    row = json.loads(second.stdout)[0]
    assert row["cache_hits"] == 2 and row["tokens"] == 0 and row["cost_usd"] == 0
    assert len(llm_env.requests) == 2
    billed = json.loads(first.stdout)[0]["tokens"]  # only the first run reached the model
    ledger = json.loads(cli.invoke(app, ["briefs", "ledger", "--format", "json"]).stdout)
    assert ledger[0]["prompt_tokens"] + ledger[0]["completion_tokens"] == billed
    assert ledger == [
        {
            "model": "gpt-4o-mini",
            "calls": 2,
            "cache_hits": 2,
            "prompt_tokens": ledger[0]["prompt_tokens"],
            "completion_tokens": ledger[0]["completion_tokens"],
            "cost_usd": pytest.approx(json.loads(first.stdout)[0]["cost_usd"], abs=1e-6),
            "tokens_saved": billed,
            "priced": True,
        }
    ]


@pytest.mark.parametrize(
    ("args", "error", "text"),
    [
        (["--provider", "offline", "--drafts", "--out", "x"], ConfigError, "drafts need an LLM"),
        (["--prompt", "summary@v1", "--provider", "openai"], ContentError, "must start with"),
        (["--prompt", "brief@v9", "--provider", "openai"], ContentError, "no prompt template"),
    ],
)
def test_usage_errors(
    cli: CliRunner, llm_env: FakeOpenAI, args: list[str], error: type[Exception], text: str
) -> None:
    result = generate(cli, "--clusters", "crm", "--out", "o", *args)
    assert isinstance(result.exception, error) and text in str(result.exception)


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("not json", "is not valid JSON"),
        ('{"a": 1}', "must hold a JSON list"),
        ('[{"cluster": "x", "keywords": ["x"]}, {"cluster": "y"}]', "cluster 2: keywords"),
    ],
)
def test_bad_clusters_files_name_the_problem(
    cli: CliRunner, tmp_path: Path, content: str, text: str
) -> None:
    path = tmp_path / "clusters.json"
    path.write_text(content)
    result = generate(cli, "--clusters", str(path), "--out", str(tmp_path / "o"))
    assert isinstance(result.exception, ContentError) and text in str(result.exception)


#: how long a held request waits: longer than the client's timeout (5 s, then it asks again),
#: short enough that the fake's shutdown does not wait on it
HELD = 8.0


class Gate(Knobs):
    """Knobs that answer the first `open_for` requests at once and hold every later one, so a
    run stops at a point chosen by counting requests, not by the clock."""

    def __init__(self, fake: FakeOpenAI, open_for: int) -> None:
        self._fake, self._open_for = fake, open_for
        super().__init__()

    @property  # type: ignore[override]
    def latency(self) -> float:
        return 0.0 if len(self._fake.requests) <= self._open_for else HELD

    @latency.setter
    def latency(self, _: float) -> None:
        pass


@pytest.mark.parametrize("killed_after", [1, 5, 13])
def test_a_killed_run_loses_nothing_and_the_next_run_continues(
    cli: CliRunner, llm_env: FakeOpenAI, tmp_path: Path, killed_after: int
) -> None:
    """Killed (SIGKILL) once `killed_after` briefs are written and both workers wait on the
    next requests: exactly those briefs are kept, and the next run writes only the others."""
    names = ",".join(f"topic {i} software" for i in range(24))
    out = tmp_path / "briefs"
    llm_env.knobs = Gate(llm_env, killed_after)
    env = {**os.environ, "PYTHONPATH": str(SRC), "MARKETLOOP_LLM_CONCURRENCY": "2"}
    child = subprocess.Popen(
        [sys.executable, "-m", "marketloop", "briefs", "generate", "--clusters", names,
         "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip

    def briefs() -> set[str]:
        return {p.stem for p in out.glob("*.json")} - {"_index"}

    try:  # the kill point: the open requests answered and written, two more held
        deadline = time.monotonic() + 120  # a safety net for a broken run, not the trigger
        while len(llm_env.requests) < killed_after + 2 or len(briefs()) < killed_after:
            assert child.poll() is None, child.communicate()[1].decode()
            assert time.monotonic() < deadline, "the run never reached the kill point"
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=10)
    done = briefs()
    assert len(done) == killed_after
    for path in out.glob("topic-*.json"):
        Brief.model_validate_json(path.read_text())  # no half-written brief
    llm_env.knobs = Knobs()
    sent = len(llm_env.requests)
    again = generate(cli, "--clusters", names, "--out", str(out), "--format", "json")
    assert again.exit_code == 0, again.output
    statuses = [r["status"] for r in json.loads(again.stdout)]
    assert statuses.count("kept") == len(done) and statuses.count("written") == 24 - len(done)
    assert len(llm_env.requests) - sent == 24 - len(done)


def test_openai_without_a_key_names_where_to_set_it(cli: CliRunner, tmp_path: Path) -> None:
    result = generate(
        cli, "--clusters", "crm", "--provider", "openai", "--out", str(tmp_path / "o"),
        "-w", str(tmp_path / "ws"),
    )  # fmt: skip
    assert isinstance(result.exception, ConfigError)
    assert "MARKETLOOP_LLM_API_KEY" in str(result.exception.hint)
    assert not (tmp_path / "o" / "crm.json").exists()


def test_serp_files_are_read_like_the_keyword_stage_reads_them(
    cli: CliRunner, clusters_file: Path, tmp_path: Path
) -> None:
    """A SEO-tool export (Keyword, Rank, Link; odd case and spacing): the same reader as
    `keywords cluster --serp`, so the brief gets its sources."""
    serp = tmp_path / "serp.csv"
    serp.write_text(
        "Keyword,Rank,Link\n"
        "CRM  Software,2,https://b.test/crm\n"
        "crm software,1,https://a.test/crm\n"
        "best crm software,1,https://c.test/best\n",
        encoding="utf-8",
    )
    out = tmp_path / "briefs"
    result = generate(
        cli, "--clusters", str(clusters_file), "--serp", str(serp), "--out", str(out),
        "--provider", "offline", "-w", str(tmp_path / "ws"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    brief = Brief.model_validate_json((out / "crm-software.json").read_text())
    assert brief.sources == ["https://a.test/crm", "https://b.test/crm", "https://c.test/best"]


def test_a_serp_file_without_a_url_column_names_it(
    cli: CliRunner, clusters_file: Path, tmp_path: Path
) -> None:
    serp = tmp_path / "serp.csv"
    serp.write_text("keyword,position\ncrm software,1\n", encoding="utf-8")
    result = generate(cli, "--clusters", str(clusters_file), "--serp", str(serp),
                      "--out", str(tmp_path / "b"), "--provider", "offline")  # fmt: skip
    assert isinstance(result.exception, KeywordsError)
    assert "has no url column; found: 'keyword', 'position'" in str(result.exception)
