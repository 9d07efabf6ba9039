"""`marketloop crawl`: the contract's flags, the summary, and errors that say what to do."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.crawl.dataset import CrawlDataset
from marketloop.errors import CrawlError, UsageError
from marketloop.sample import RunningSite

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def trusted(sample_site: RunningSite, monkeypatch: pytest.MonkeyPatch) -> RunningSite:
    monkeypatch.setenv("MARKETLOOP_CRAWL_CA_FILE", str(sample_site.ca_file))
    monkeypatch.setenv("MARKETLOOP_CRAWL_PARSE_WORKERS", "1")
    return sample_site


def test_help_documents_the_contract(cli: CliRunner) -> None:
    result = cli.invoke(app, ["crawl", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for flag in ("--out", "--max-urls", "--max-depth", "--concurrency", "--max-rps", "--include",
                 "--exclude", "--ignore-robots", "--user-agent", "--timeout",
                 "--allow-private-networks", "--resume", "--workspace"):  # fmt: skip
        assert flag in result.output


def test_crawl_with_flags_writes_a_dataset_and_a_summary(
    cli: CliRunner, trusted: RunningSite, tmp_path: Path
) -> None:
    out = tmp_path / "c"
    args = ["crawl", trusted.url, "--out", str(out), "--max-depth", "1", "--exclude", "/blog/",
            "--concurrency", "4", "--format", "json"]  # fmt: skip
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "finished" and summary["dataset"] == str(out)
    dataset = CrawlDataset.open(out)
    assert dataset.manifest.settings["max_depth"] == 1
    assert dataset.manifest.settings["concurrency"] == 4
    depths = {
        r["depth"] for r in dataset.query("SELECT depth FROM pages WHERE found_via <> 'sitemap'")
    }
    assert depths <= {0, 1}
    assert not dataset.query("SELECT url FROM pages WHERE url LIKE '%/blog/%'")


def test_default_folder_is_in_the_workspace(
    cli: CliRunner, trusted: RunningSite, tmp_path: Path
) -> None:
    result = cli.invoke(app, ["crawl", trusted.url, "--max-urls", "5", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "ws" / "crawls").iterdir()
    assert folder.name.startswith("127.0.0.1-")
    assert "URLs" in result.stdout and CrawlDataset.open(folder).manifest.counts["urls"] == 5


def test_ignore_robots_fetches_disallowed_urls(
    cli: CliRunner, trusted: RunningSite, tmp_path: Path
) -> None:
    out = tmp_path / "c"
    result = cli.invoke(
        app,
        [
            "crawl",
            trusted.url,
            "--out",
            str(out),
            "--ignore-robots",
            "--include",
            "/(resources|internal)/|:\\d+/$",
        ],
    )
    assert result.exit_code == 0, result.output
    row = CrawlDataset.open(out).query("SELECT * FROM pages WHERE url LIKE '%/internal/reports/'")[
        0
    ]
    assert (row["blocked_by_robots"], row["status"]) == (False, 404)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (["crawl", "example.com"], UsageError, "not an http(s) URL"),
        (
            ["crawl", "https://example.com/", "--resume", "--out", "{tmp}/none"],
            CrawlError,
            "nothing to resume",
        ),
    ],
)
def test_bad_invocations_raise_clear_errors(
    cli: CliRunner, tmp_path: Path, args: list[str], error: type[Exception], message: str
) -> None:
    result = cli.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert isinstance(result.exception, error)
    assert message in str(result.exception)


def test_an_unreachable_site_exits_3_with_a_hint(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    src = Path(__file__).resolve().parents[2] / "src"
    result = subprocess.run(
        [sys.executable, "-m", "marketloop", "crawl", f"http://127.0.0.1:{port}/",
         "--out", str(tmp_path / "c")],
        capture_output=True, text=True, env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin",
                                             "MARKETLOOP_CRAWL_RETRIES": "0"}, check=False,
    )  # fmt: skip
    assert result.returncode == 3
    assert "no URL of" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    row = CrawlDataset.open(tmp_path / "c").query("SELECT error FROM pages")[0]
    assert row["error"] == "connection_refused"
