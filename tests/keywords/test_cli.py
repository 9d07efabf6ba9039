import csv
import io
import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.config import load_settings
from marketloop.demo import DemoRun
from marketloop.keywords.demo import demo_step
from marketloop.keywords.model import Cluster
from marketloop.sample.keywords import generate
from marketloop.workspace import Workspace

from .conftest import write_crawl, write_warehouse


@pytest.fixture
def sample_files(tmp_path: Path) -> tuple[Path, Path]:
    return generate(60, seed=7).write(tmp_path / "sample")


def run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cluster_json_is_a_list_of_clusters(
    cli: CliRunner, sample_files: tuple[Path, Path], tmp_path: Path
) -> None:
    keywords, serps = sample_files
    out = tmp_path / "clusters.json"
    code, stdout, _ = run(
        cli, "keywords", "cluster", str(keywords), "--serp", str(serps), "--format", "json",
        "-w", str(tmp_path / "ws"),
    )  # fmt: skip
    assert code == 0
    printed = [Cluster.model_validate(c) for c in json.loads(stdout)]
    # --out writes instead of stdout; the format follows the file's suffix
    code, quiet, _ = run(
        cli, "keywords", "cluster", str(keywords), "--serp", str(serps), "-o", str(out),
        "-w", str(tmp_path / "ws"),
    )  # fmt: skip
    assert code == 0 and quiet == ""
    written = [Cluster.model_validate(c) for c in json.loads(out.read_text())]
    assert printed == written and len(printed) >= 5
    assert {"cluster", "keywords", "intent", "volume", "opportunity", "status"} <= set(
        json.loads(stdout)[0]
    )


def test_cluster_csv_and_table(
    cli: CliRunner, sample_files: tuple[Path, Path], tmp_path: Path
) -> None:
    keywords, _ = sample_files
    code, stdout, _ = run(
        cli, "keywords", "cluster", str(keywords), "--format", "csv", "-w", str(tmp_path / "ws")
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert sum(int(r["size"]) for r in rows) == len(generate(60, seed=7).records) == 60
    code, stdout, stderr = run(
        cli,
        "keywords",
        "cluster",
        str(keywords),
        "--mode",
        "lexical",
        "--threshold",
        "0.5",
        "-w",
        str(tmp_path / "ws"),
    )
    assert code == 0 and "Keyword clusters" in stdout and "opportunity" in stdout
    assert "no crawl dataset" in stderr


def test_flags_override_settings(
    cli: CliRunner, sample_files: tuple[Path, Path], tmp_path: Path
) -> None:
    keywords, serps = sample_files
    counts = {}
    for strictness in ("soft", "hard"):
        code, stdout, _ = run(
            cli, "keywords", "cluster", str(keywords), "--serp", str(serps),
            "--strictness", strictness,
            "--min-shared", "4", "--format", "json", "-w", str(tmp_path / "ws"),
        )  # fmt: skip
        assert code == 0
        counts[strictness] = len(json.loads(stdout))
    assert counts["hard"] > counts["soft"]


def test_gaps_against_a_crawl_and_search_console(cli: CliRunner, tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws").ensure()
    write_crawl(
        workspace.crawls_dir / "site-1",
        [("/product/lead-scoring", "Lead Scoring Software", "Lead scoring"),
         ("/blog/lead-scoring", "Lead scoring explained", "Lead scoring")],
    )  # fmt: skip
    keywords = tmp_path / "k.csv"
    keywords.write_text("keyword,volume\nlead scoring,900\nwebinar software,400\n")
    code, stdout, stderr = run(
        cli, "keywords", "gaps", str(keywords), "--format", "json", "-w", str(workspace.root)
    )
    assert code == 0, stderr
    rows = {r["cluster"]: r for r in json.loads(stdout)}
    assert rows["webinar software"]["status"] == "gap"
    # two title matches: listed as candidates (shown without --all), not cannibalised
    assert rows["lead scoring"]["status"] == "covered"
    assert rows["lead scoring"]["source"] == "crawl" and len(rows["lead scoring"]["pages"]) == 2
    assert "2 clusters: 1 covered, 1 gaps, 0 cannibalised" in stderr

    write_warehouse(workspace.warehouse_path, [("lead scoring", "/product/lead-scoring", 1000)])
    code, stdout, _ = run(
        cli, "keywords", "gaps", "--format", "json", "--all", "-w", str(workspace.root)
    )
    assert code == 0  # no file: the Search Console queries are the keywords
    (row,) = json.loads(stdout)
    assert (row["cluster"], row["status"], row["source"]) == (
        "lead scoring",
        "covered",
        "search console",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keywords", "gaps"], "no keyword file given and no Search Console queries"),
        (["keywords", "cluster", "{bad}"], "no keyword column; found: 'Phrase', 'volume'"),
        (["keywords", "cluster", "{good}", "--mode", "serp"], "serp mode needs SERP snapshots"),
        (["keywords", "gaps", "{good}"], "nothing to compare the clusters with"),
    ],
)
def test_errors_are_one_line_with_a_hint(tmp_path: Path, args: list[str], message: str) -> None:
    import subprocess

    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text("Phrase,volume\ncrm,10\n")
    good.write_text("keyword\ncrm\n")
    argv = [a.format(bad=bad, good=good) for a in args]
    src = str(Path(__file__).resolve().parents[2] / "src")  # this checkout, not an installed one
    result = subprocess.run(
        [sys.executable, "-m", "marketloop", *argv, "-w", str(tmp_path / "ws")],
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": src},
    )  # fmt: skip
    assert result.returncode == 3
    assert message in " ".join(result.stderr.split()) and "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_step_writes_clusters_and_gaps(tmp_path: Path) -> None:
    settings = load_settings(overrides={"workspace": tmp_path / "ws"})
    workspace = Workspace(settings.workspace).ensure()
    write_crawl(
        workspace.crawls_dir / "site-1",
        [("/features/lead-scoring", "Lead scoring for B2B teams", "Lead scoring")],
    )
    demo = DemoRun(settings, workspace)
    demo_step(demo)
    clusters = [Cluster.model_validate(c) for c in json.loads(demo.outputs["clusters"].read_text())]
    assert sum(len(c.keywords) for c in clusters) == 90
    assert any(c.status == "covered" and c.cluster == "lead scoring" for c in clusters)
    assert "gap" in demo.outputs["keyword gaps"].read_text()
    assert (workspace.reports_dir / "clusters-lexical.json").is_file()


def test_help_explains_the_commands(cli: CliRunner) -> None:
    code, stdout, _ = run(cli, "keywords", "cluster", "--help")
    assert code == 0 and "--strictness" in stdout and "--min-shared" in stdout


def test_html_report_is_self_contained_and_escaped(cli: CliRunner, tmp_path: Path) -> None:
    keywords = tmp_path / "k.csv"
    keywords.write_text(
        'keyword,volume,url\n"<script>alert(1)</script> crm",500,javascript:alert(1)\n'
        "lead scoring,90,\n"
    )
    crawl = write_crawl(tmp_path / "crawl", [("/lead", "Lead scoring", "Lead scoring")])
    html = tmp_path / "report.html"
    code, _, stderr = run(
        cli, "keywords", "gaps", str(keywords), "--crawl", str(crawl), "-f", "html", "-o",
        str(html), "-w", str(tmp_path / "ws"),
    )  # fmt: skip
    assert code == 0, stderr
    page = html.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="javascript' not in page and "javascript:alert(1)" in page  # shown, not linked
    assert "<svg" in page and "lead scoring" in page and "covered" in page
    assert "http" not in page.split("<table>")[0]  # nothing loaded from elsewhere


def test_old_html_spelling_still_works_with_a_warning(cli: CliRunner, tmp_path: Path) -> None:
    keywords = tmp_path / "k.csv"
    keywords.write_text("keyword,volume\ncrm software,500\ncrm tools,90\n")
    html = tmp_path / "old.html"
    code, stdout, stderr = run(
        cli, "keywords", "cluster", str(keywords), "--html", str(html), "-w", str(tmp_path / "ws")
    )
    assert code == 0, stderr
    assert "<svg" in html.read_text() and stdout == ""
    warning = [line for line in stderr.splitlines() if "deprecated" in line]
    assert warning == [
        "warning: `marketloop keywords cluster --html` is deprecated and goes in the next "
        "release; use --format html --out FILE"
    ]
