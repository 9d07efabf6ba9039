"""`marketloop demo` serves the sample site, crawls it and says where the dataset is."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.crawl.dataset import CrawlDataset


@pytest.mark.timeout(120)
def test_demo_crawls_the_sample_site_into_the_workspace(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["demo", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "ws" / "crawls").iterdir()
    dataset = CrawlDataset.open(folder)
    assert dataset.manifest.status == "finished"
    assert dataset.manifest.counts["urls"] > 90
    assert "crawl dataset" in result.output
