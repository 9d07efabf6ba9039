from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from marketloop.crawl import frontier as frontier_module
from marketloop.crawl.dataset import CrawlDataset, Manifest
from marketloop.crawl.frontier import SITEMAP_LEVEL, Frontier
from marketloop.crawl.urls import url_hash
from marketloop.crawl.writer import Batch, DatasetWriter


def drain(frontier: Frontier) -> list[tuple[str, int | None, str]]:
    out = []
    while frontier.peek() is not None:
        entry = frontier.take()
        out.append((entry.url, entry.depth, entry.via))
    return out


def test_breadth_first_order_and_dedup(tmp_path: Path) -> None:
    frontier = Frontier(tmp_path / "f.sqlite")
    frontier.add([("u/a", 1, "link", ()), ("u/b", 2, "link", ()), ("u/c", 1, "link", ())])
    assert frontier.add([("u/a", 1, "link", ()), ("u/c", 3, "image", ())]) == 0
    assert drain(frontier) == [("u/a", 1, "link"), ("u/c", 1, "link"), ("u/b", 2, "link")]
    assert frontier.queued == 0


def test_late_entries_of_a_lower_level_come_first(tmp_path: Path) -> None:
    frontier = Frontier(tmp_path / "f.sqlite")
    frontier.add([("u/deep", 3, "link", ())])
    assert frontier.peek().url == "u/deep"  # type: ignore[union-attr]
    frontier.add([("u/redirect-target", 1, "redirect", ("u/x",))])
    entry = frontier.take()
    assert (entry.url, entry.chain) == ("u/redirect-target", ("u/x",))
    assert frontier.take().url == "u/deep"


def test_dedup_survives_a_cleared_cache(tmp_path: Path) -> None:
    frontier = Frontier(tmp_path / "f.sqlite", cache_size=2)
    frontier.add([(f"u/{i}", 1, "link", ()) for i in range(5)])
    assert frontier.add([(f"u/{i}", 1, "link", ()) for i in range(7)]) == 2


def test_sitemap_pages_wait_for_release_and_skip_known_urls(tmp_path: Path) -> None:
    frontier = Frontier(tmp_path / "f.sqlite")
    frontier.add([("u/linked", 1, "link", ())])
    frontier.add_sitemap_pages(["u/linked", "u/orphan"])
    assert [u for u, *_ in drain(frontier)] == ["u/linked"]
    assert frontier.release_sitemap_pages() == 1
    entry = frontier.take()
    assert (entry.url, entry.depth, entry.via, entry.level) == (
        "u/orphan",
        None,
        "sitemap",
        SITEMAP_LEVEL,
    )


def test_sitemap_pages_are_released_a_page_at_a_time_in_hash_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frontier_module, "RELEASE_ROWS", 3)  # 9 orphans: three steps
    frontier = Frontier(tmp_path / "f.sqlite")
    listed = [f"u/{i:02d}" for i in range(14)]
    frontier.add([(u, 1, "link", ()) for u in listed[::3]])  # 00, 03, 06, 09, 12 are linked
    frontier.add_sitemap_pages(listed)
    drain(frontier)
    seen: list[int] = []
    real = frontier.add
    monkeypatch.setattr(frontier, "add", lambda items: seen.append(len(list(items))) or 0)
    frontier.release_sitemap_pages()
    assert seen == [3, 3, 3]  # each step queues at most RELEASE_ROWS
    monkeypatch.setattr(frontier, "add", real)
    assert frontier.release_sitemap_pages() == 9
    orphans = sorted((u for u in listed if int(u[2:]) % 3), key=url_hash)
    assert any(url_hash(u) < 0 for u in orphans)  # negative keys are not skipped
    assert [u for u, *_ in drain(frontier)] == orphans
    assert frontier.release_sitemap_pages() == 0


def test_state_persists_and_done_urls_do_not_come_back(tmp_path: Path) -> None:
    frontier = Frontier(tmp_path / "f.sqlite")
    frontier.add([(f"u/{i}", 1, "link", ()) for i in range(4)])
    frontier.take()
    frontier.close()  # a taken but unfinished URL is not lost
    reopened = Frontier(tmp_path / "f.sqlite")
    reopened.mark_done(["u/1", "u/2"])
    assert [u for u, *_ in drain(reopened)] == ["u/0", "u/3"]


def _manifest() -> Manifest:
    return Manifest(crawl_id="t", start_url="https://a.test/", started_at=datetime.now(UTC))


def test_batches_become_parts_readable_as_a_dataset(tmp_path: Path) -> None:
    manifest = _manifest()
    manifest.write(tmp_path)
    writer = DatasetWriter(tmp_path, manifest)
    for n in range(2):
        batch = Batch()
        batch["pages"].add({"url": f"https://a.test/{n}", "status": 200, "titles": ["T"]})
        batch["links"].extend(
            {"from_url": f"https://a.test/{n}", "to_url": ["x", "y"], "kind": "a"}, 2
        )
        writer.write(batch, {"pages": n + 1})
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == [
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    dataset = CrawlDataset.open(tmp_path)
    assert dataset.manifest.counts == {"pages": 2, "batches": 2}
    assert dataset.query("SELECT count(*) AS n FROM links")[0]["n"] == 4
    assert dataset.query("SELECT from_url FROM links LIMIT 1")[0]["from_url"].startswith(
        "https://a.test/"
    )


def test_recover_drops_uncommitted_parts_and_temporary_files(tmp_path: Path) -> None:
    manifest = _manifest()
    manifest.write(tmp_path)
    writer = DatasetWriter(tmp_path, manifest)
    batch = Batch()
    batch["pages"].add({"url": "https://a.test/1"})
    writer.write(batch, {})
    committed = tmp_path / "pages" / "part-00001.parquet"
    pq.write_table(
        pq.read_table(committed), tmp_path / "pages" / "part-00002.parquet"
    )  # renamed, not committed
    (tmp_path / "links" / ".part-00002.parquet.tmp").write_bytes(b"half a file")
    reopened = DatasetWriter(tmp_path, Manifest.read(tmp_path))
    assert reopened.recover()["pages"] == 1
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == ["part-00001.parquet"]
    assert list((tmp_path / "links").iterdir()) == []


def test_a_dataset_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    from marketloop.errors import CrawlDatasetError

    manifest = _manifest()
    manifest.write(tmp_path)
    writer = DatasetWriter(tmp_path, manifest)
    (tmp_path / "pages").rmdir()
    (tmp_path / "pages").write_text("not a folder")
    batch = Batch()
    batch["pages"].add({"url": "https://a.test/1"})
    with pytest.raises(CrawlDatasetError, match="cannot write the crawl dataset") as caught:
        writer.write(batch, {})
    assert caught.value.hint is not None and "--resume" in caught.value.hint
