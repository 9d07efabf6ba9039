"""Every dependency pyproject.toml declares is imported by the code it is declared for: the
package for `dependencies` and each extra, bench/ for `bench`. A dependency nobody imports is
weight for every install (or a promise the package does not keep)."""

from __future__ import annotations

import ast
import re
import tomllib
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent

# declared for the operate issues (API, dashboard, queue, metrics), which other work is wiring in
# now; remove a name here as soon as the package imports it (the test then keeps it honest)
PENDING: frozenset[str] = frozenset()

# used without an import statement, with the text that shows the use (checked)
RUN_NOT_IMPORTED = {
    "dbt-postgres": ("src/marketloop/quality", '"type": "postgres"'),  # dbt loads its adapter
    "advertools": ("bench", "advertools.crawl("),  # the crawl benchmark's peer, run as a process
    "python-multipart": ("src/marketloop/web", "Form("),  # FastAPI parses the dashboard's forms
}

# distribution → the module it installs, where the names differ
MODULES = {
    "dbt-core": "dbt",
    "dbt-duckdb": "dbt.adapters.duckdb",
    "google-auth": "google.auth",
    "markdown-it-py": "markdown_it",
    "prometheus-client": "prometheus_client",
    "pydantic-settings": "pydantic_settings",
    "pyyaml": "yaml",
    "scikit-learn": "sklearn",
    "sentence-transformers": "sentence_transformers",
}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def imported(folder: str) -> frozenset[str]:
    """Every absolute module name imported anywhere under ROOT/folder."""
    names: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return frozenset(names)


def is_imported(distribution: str, folder: str) -> bool:
    module = MODULES.get(distribution, distribution.replace("-", "_"))
    return any(name == module or name.startswith(module + ".") for name in imported(folder))


def declared() -> list[tuple[str, str]]:
    """(group, distribution) for `dependencies` and every extra but dev (tools and test SDKs)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"dependencies": project["dependencies"], **project["optional-dependencies"]}
    return [
        (group, _normal(Requirement(spec).name))
        for group, specs in groups.items()
        if group != "dev"
        for spec in specs
        if _normal(Requirement(spec).name) != "marketloop"
    ]


@pytest.mark.parametrize(("group", "distribution"), declared())
def test_every_declared_dependency_is_imported(group: str, distribution: str) -> None:
    folder = "bench" if group == "bench" else "src/marketloop"
    if distribution in PENDING:
        assert not is_imported(distribution, folder), (
            f"{distribution} is used: drop it from PENDING"
        )
        return
    if distribution in RUN_NOT_IMPORTED:
        where, text = RUN_NOT_IMPORTED[distribution]
        sources = (p.read_text(encoding="utf-8") for p in (ROOT / where).rglob("*.py"))
        assert any(text in source for source in sources), f"{distribution} is not used"
        return
    assert is_imported(distribution, folder), (
        f"{distribution} ({group}) is declared in pyproject.toml but never imported under "
        f"{folder}: use it, or remove it"
    )


def test_the_check_catches_an_unused_dependency() -> None:
    assert not is_imported("slack-sdk", "src/marketloop")
    assert not is_imported("notion-client", "src/marketloop")
    assert is_imported("google-auth", "src/marketloop")
