"""Read the folder `marketloop briefs generate --out DIR` writes: `<slug>.json` (a Brief) and,
when a draft was written, `<slug>.md` beside it.

A file that cannot be read or is not a valid brief becomes an entry with its error, so one bad
file is reported and the others are still published. JSON files that are not briefs at all
(no `slug` and `cluster` keys: a manifest, a cost ledger) are not publishing's business and
are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from marketloop.content.brief import Brief
from marketloop.integrations.errors import BriefFolderError

FOLDER_HINT = "run `marketloop briefs generate --out DIR` first, or pass the folder it wrote"


@dataclass(frozen=True)
class BriefFile:
    path: Path
    brief: Brief | None = None
    draft: str | None = None
    error: str | None = None

    @property
    def slug(self) -> str:
        return self.brief.slug if self.brief else self.path.stem


def read_folder(folder: Path) -> list[BriefFile]:
    """Every brief in `folder`, in name order; raises when there is none to publish."""
    if not folder.is_dir():
        raise BriefFolderError(f"briefs folder {folder} does not exist", hint=FOLDER_HINT)
    entries = [entry for path in sorted(folder.glob("*.json")) if (entry := read_brief(path))]
    if not entries:
        raise BriefFolderError(f"no briefs (<slug>.json) in {folder}", hint=FOLDER_HINT)
    return entries


def read_brief(path: Path) -> BriefFile | None:
    """One brief file and its draft; None when the file is JSON but not a brief."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return BriefFile(path, error=f"{path.name} is not UTF-8 text")
    except json.JSONDecodeError as exc:
        return BriefFile(
            path, error=f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}"
        )
    except OSError as exc:
        return BriefFile(path, error=f"cannot read {path.name}: {exc.strerror}")
    if not isinstance(data, dict) or not {"slug", "cluster"} <= data.keys():
        return None
    try:
        brief = Brief.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'brief'}: {e['msg']}" for e in exc.errors()[:5]
        )
        return BriefFile(path, error=f"{path.name} is not a valid brief: {problems}")
    return BriefFile(path, brief, _draft(path))


def _draft(path: Path) -> str | None:
    draft = path.with_suffix(".md")
    if not draft.is_file():
        return None
    return draft.read_text(encoding="utf-8", errors="replace")
