"""The response cache: answers to identical requests, kept in the workspace
(`WORKSPACE/llm-cache.sqlite`).

The key is a SHA-256 of the canonical JSON of everything that shapes the answer: model,
messages, response format (the schema) and sampling parameters. Only answers that passed
validation are stored, so a bad answer is never served twice. SQLite in WAL mode with a busy
timeout makes concurrent runs (two terminals, a worker and the CLI) safe: the last writer of
an identical key wins, and every reader sees whole rows. Writes are batched (`BATCH` answers
per transaction, the rest on `close`), so a busy run does not commit once per call; a kill
loses at most the last batch, which only costs those calls again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from marketloop.errors import WorkspaceError

BATCH = 64
SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


@dataclass(frozen=True)
class CachedAnswer:
    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int


def cache_key(body: dict[str, Any]) -> str:
    """SHA-256 of the request body's canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, str, str, float]] = {}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(SCHEMA)
            self._db.commit()
        except sqlite3.Error as exc:
            raise WorkspaceError(
                f"cannot open the LLM response cache {path}: {exc}",
                hint="check that the workspace is writable, or set MARKETLOOP_LLM_CACHE=false",
            ) from None

    def get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            if key in self._pending:
                payload = self._pending[key][2]
            else:
                row = self._db.execute(
                    "SELECT payload FROM responses WHERE key = ?", (key,)
                ).fetchone()
                if row is None:
                    return None
                payload = row[0]
        try:
            return CachedAnswer(**json.loads(payload))
        except (ValueError, TypeError):
            return None  # a row from an older format: treat as a miss, it will be replaced

    def put(self, key: str, answer: CachedAnswer) -> None:
        payload = json.dumps(asdict(answer), ensure_ascii=False)
        with self._lock:
            self._pending[key] = (key, answer.model, payload, time.time())
            if len(self._pending) >= BATCH:
                self._flush()

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def __len__(self) -> int:
        with self._lock:
            self._flush()
            return int(self._db.execute("SELECT count(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._flush()
            self._db.close()

    def _flush(self) -> None:
        if self._pending:
            self._db.executemany(
                "INSERT OR REPLACE INTO responses (key, model, payload, created_at) "
                "VALUES (?, ?, ?, ?)",
                list(self._pending.values()),
            )
            self._db.commit()
            self._pending.clear()
