"""`quality docs`: dbt's documentation site for the packaged project, as one self-contained file
in the workspace (`WORKSPACE/reports/dbt-docs.html`, dbt's `docs generate --static`), with the
catalog of the warehouse in force: every source, staging model and mart with its columns, tests
and lineage. The data health report links to it when it exists.

Reads the inventory first (as `quality run` does) so that the models of absent tables are
disabled and the lineage shows what this warehouse really has.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from marketloop.config import Settings
from marketloop.quality import inventory
from marketloop.quality.contract import CONTENT, FILES, SOURCES, TRACKED_DATASETS
from marketloop.quality.dbt import Dbt, DbtDirs, dbt_vars
from marketloop.quality.warehouse import connect, target_from_settings
from marketloop.workspace import Workspace

DOCS_FILE = "dbt-docs.html"


def docs_path(settings: Settings) -> Path:
    return Workspace(settings.workspace).reports_dir / DOCS_FILE


def generate_docs(settings: Settings, out: Path | None = None) -> Path:
    """Write dbt's static docs site for the warehouse in force; returns its path."""
    target = target_from_settings(settings)
    with connect(target) as wh:
        present = inventory.present_tables(wh, [*TRACKED_DATASETS, CONTENT])
    wanted = [*SOURCES, FILES, CONTENT]
    variables = dbt_vars(
        {name: present[name] for name in wanted if name in present}, settings.quality
    )
    root = Workspace(settings.workspace).ensure().root.resolve()
    dbt = Dbt(target, settings.quality, DbtDirs(root / "dbt"))
    with dbt.session():
        dbt.invoke(["docs", "generate", "--static"], variables)
    built = dbt.dirs.target / "static_index.html"
    if not built.is_file():
        from marketloop.errors import QualityError

        raise QualityError(f"dbt did not write {built}", hint=f"see {dbt.dirs.log_file}")
    path = out or docs_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, path)
    return path
