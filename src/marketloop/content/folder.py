"""The folder `briefs generate --out DIR` writes, the contract with publishing:

    DIR/<slug>.json         a Brief (content/brief.py)
    DIR/<slug>.md           its draft, when drafts were asked for
    DIR/_index.json         what the last runs did: status, provider, prompts, tokens, cost,
                            guardrail counts and errors per brief (a summary, not a Brief)
    DIR/checks/<slug>.json  the draft's guardrail results
    DIR/failed/<slug>.<purpose>.txt  an answer that failed validation, kept for inspection

Every file is written atomically (temp file + rename), so a kill never leaves half a brief,
and a re-run keeps every valid brief and draft it finds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from marketloop.content.brief import Brief
from marketloop.content.guardrails import Check
from marketloop.errors import ContentError
from marketloop.workspace import write_atomic

INDEX = "_index.json"


class BriefFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ContentError(
                f"cannot create output folder {root}: {exc.strerror}",
                hint="pass --out DIR with a folder you can write to",
            ) from None

    def brief_path(self, slug: str) -> Path:
        return self.root / f"{slug}.json"

    def draft_path(self, slug: str) -> Path:
        return self.root / f"{slug}.md"

    def existing_brief(self, slug: str) -> Brief | None:
        """The brief a previous run wrote, if it is there and valid."""
        try:
            return Brief.model_validate_json(self.brief_path(slug).read_bytes())
        except (OSError, ValidationError, ValueError):
            return None

    def has_draft(self, slug: str) -> bool:
        path = self.draft_path(slug)
        return path.is_file() and path.stat().st_size > 0

    def drop_draft(self, slug: str) -> None:
        """Remove the draft of `slug` and its checks (when its brief is replaced)."""
        self.draft_path(slug).unlink(missing_ok=True)
        (self.root / "checks" / f"{slug}.json").unlink(missing_ok=True)

    def write_brief(self, brief: Brief) -> Path:
        return write_atomic(self.brief_path(brief.slug), brief.model_dump_json(indent=2) + "\n")

    def write_draft(self, slug: str, markdown: str, checks: Iterable[Check]) -> Path:
        report = json.dumps([c.as_dict() for c in checks], indent=2, ensure_ascii=False)
        write_atomic(self.root / "checks" / f"{slug}.json", report + "\n")
        return write_atomic(self.draft_path(slug), markdown.rstrip() + "\n")

    def read_checks(self, slug: str) -> list[Check]:
        """The guardrail results stored with a draft (none when missing or unreadable)."""
        try:
            data = json.loads((self.root / "checks" / f"{slug}.json").read_text(encoding="utf-8"))
            return [Check(**item) for item in data]
        except (OSError, ValueError, TypeError):
            return []

    def keep_failed(self, slug: str, purpose: str, raw: str, errors: str) -> Path:
        text = f"# validation errors\n{errors}\n\n# the answer\n{raw}\n"
        return write_atomic(self.root / "failed" / f"{slug}.{purpose}.txt", text)

    def read_index(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"briefs": []}
        return data if isinstance(data, dict) else {"briefs": []}

    def write_index(self, run: dict[str, Any], entries: list[dict[str, Any]]) -> Path:
        """Merge this run's entries into the index (other briefs' entries are kept)."""
        previous = {e.get("slug"): e for e in self.read_index().get("briefs", [])}
        previous.update({e["slug"]: e for e in entries})
        index = {
            **run,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "briefs": sorted(previous.values(), key=lambda e: str(e.get("slug"))),
        }
        return write_atomic(
            self.root / INDEX, json.dumps(index, indent=2, ensure_ascii=False) + "\n"
        )
