"""The frontier: every URL the crawl knows, in breadth-first order, kept in SQLite under state/.

Memory stays flat however large the site: the URLs live on disk, deduplicated by a 64-bit hash
(`urls.url_hash`), and only a bounded cache of recently seen hashes and one chunk of upcoming
entries are held in memory. Entries come out ordered by `(level, seq)`: level is the link depth,
or `SITEMAP_LEVEL` for URLs known only from sitemaps, which are released once the link crawl is
over (so a page reachable by links always gets its true depth and `found_via`).

Durability: discoveries are committed before the rows of the page that found them are written
(`commit()` runs first at every flush), so a kill never loses a URL; on resume the crawl marks
as done every URL whose rows made it into a part file (`mark_done`) and everything else comes
out again.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from marketloop.crawl.urls import url_hash

SITEMAP_LEVEL = 1 << 30
CHUNK = 512
RELEASE_ROWS = 10_000  # sitemap-only URLs queued per step at release
_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    seq INTEGER PRIMARY KEY, h INTEGER NOT NULL UNIQUE, url TEXT NOT NULL, depth INTEGER,
    level INTEGER NOT NULL, via TEXT NOT NULL, chain TEXT, done INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS urls_order ON urls (level, seq);
CREATE TABLE IF NOT EXISTS sitemap_pages (h INTEGER PRIMARY KEY, url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sitemap_files (
    seq INTEGER PRIMARY KEY, h INTEGER NOT NULL UNIQUE, url TEXT NOT NULL, via TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0);
"""


class Entry(NamedTuple):
    level: int
    seq: int
    url: str
    depth: int | None
    via: str  # found_via
    chain: tuple[str, ...] = ()  # earlier hops when reached through redirects


class Frontier:
    def __init__(self, path: Path, cache_size: int = 500_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self.cache: set[int] = set()
        self.cache_size = cache_size
        self._ready: deque[Entry] = deque()
        self._urgent: list[Entry] = []  # entries that sort before the last chunk loaded
        self._loaded = (-1, -1)
        self.queued = self._count("SELECT count(*) FROM urls WHERE done = 0")

    # -- adding -------------------------------------------------------------------------
    def add(self, items: Iterable[tuple[str, int | None, str, tuple[str, ...]]]) -> int:
        """Add `(url, depth, found_via, chain)` items not seen before; return how many were new."""
        fresh: dict[int, tuple[str, int | None, str, tuple[str, ...]]] = {}
        for item in items:
            key = url_hash(item[0])
            if key not in self.cache and key not in fresh:
                fresh[key] = item
        if not fresh:
            return 0
        for known in self._existing(list(fresh)):
            self.cache.add(known)
            del fresh[known]
        if len(self.cache) + len(fresh) > self.cache_size:
            self.cache.clear()
        self.cache.update(fresh)
        for key, (url, depth, via, chain) in fresh.items():
            level = SITEMAP_LEVEL if depth is None else depth
            cursor = self.db.execute(
                "INSERT INTO urls (h, url, depth, level, via, chain) VALUES (?, ?, ?, ?, ?, ?)",
                (key, url, depth, level, via, "\n".join(chain) or None),
            )
            seq = cursor.lastrowid or 0
            if (level, seq) < self._loaded:
                heapq.heappush(self._urgent, Entry(level, seq, url, depth, via, chain))
        self.queued += len(fresh)
        return len(fresh)

    def _existing(self, keys: list[int]) -> Iterator[int]:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for (key,) in self.db.execute(f"SELECT h FROM urls WHERE h IN ({marks})", chunk):
                yield key

    # -- taking -------------------------------------------------------------------------
    def peek(self) -> Entry | None:
        """The next entry in breadth-first order, without taking it."""
        if not self._ready:
            self._load()
        head = self._ready[0] if self._ready else None
        if self._urgent and (head is None or self._urgent[0][:2] < head[:2]):
            return self._urgent[0]
        return head

    def take(self) -> Entry:
        entry = self.peek()
        if entry is None:
            raise IndexError("the frontier is empty")
        if self._urgent and self._urgent[0] is entry:
            heapq.heappop(self._urgent)
        else:
            self._ready.popleft()
        self.queued -= 1
        return entry

    def _load(self) -> None:
        level, seq = self._loaded
        rows = self.db.execute(
            "SELECT level, seq, url, depth, via, chain FROM urls WHERE done = 0 "
            "AND (level > ? OR (level = ? AND seq > ?)) ORDER BY level, seq LIMIT ?",
            (level, level, seq, CHUNK),
        ).fetchall()
        for lvl, sq, url, depth, via, chain in rows:
            self._ready.append(
                Entry(lvl, sq, url, depth, via, tuple(chain.split("\n")) if chain else ())
            )
        if rows:
            self._loaded = (rows[-1][0], rows[-1][1])

    # -- sitemaps -----------------------------------------------------------------------
    def add_sitemap_pages(self, urls: Iterable[str]) -> None:
        """Remember internal URLs listed in sitemaps; they enter the queue at release."""
        self.db.executemany(
            "INSERT OR IGNORE INTO sitemap_pages (h, url) VALUES (?, ?)",
            ((url_hash(u), u) for u in urls),
        )

    def release_sitemap_pages(self) -> int:
        """Queue the sitemap URLs no link reached (depth unknown); return how many.

        Read `RELEASE_ROWS` at a time in the table's order (by URL hash, which may be
        negative), so a site known mostly from its sitemaps (a million orphans) does not hold
        them all in memory at once."""
        before, lowest = self.queued, -(2**63)
        while lowest < 2**63 and (
            rows := self.db.execute(
                "SELECT h, url FROM sitemap_pages WHERE h >= ? "
                "AND h NOT IN (SELECT h FROM urls) ORDER BY h LIMIT ?",
                (lowest, RELEASE_ROWS),
            ).fetchall()
        ):
            self.add((url, None, "sitemap", ()) for _, url in rows)
            lowest = rows[-1][0] + 1
        return self.queued - before

    def add_sitemap_file(self, url: str, via: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO sitemap_files (h, url, via) VALUES (?, ?, ?)",
            (url_hash(url), url, via),
        )

    def sitemap_files(self, after: int = 0) -> list[tuple[int, str, str]]:
        """Sitemap files not yet read, as `(seq, url, via)`, in discovery order."""
        return self.db.execute(
            "SELECT seq, url, via FROM sitemap_files WHERE done = 0 AND seq > ? ORDER BY seq",
            (after,),
        ).fetchall()

    # -- durability ---------------------------------------------------------------------
    def commit(self) -> None:
        self.db.commit()

    def mark_done(self, urls: Iterable[str], table: str = "urls") -> None:
        """Resume: URLs (or sitemap files) whose rows are already stored are not queued again."""
        self.db.executemany(
            f"UPDATE {table} SET done = 1 WHERE h = ?", ((url_hash(u),) for u in urls)
        )
        self.db.commit()
        self.queued = self._count("SELECT count(*) FROM urls WHERE done = 0")

    def known(self) -> int:
        return self._count("SELECT count(*) FROM urls")

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def _count(self, sql: str) -> int:
        return int(self.db.execute(sql).fetchone()[0])
