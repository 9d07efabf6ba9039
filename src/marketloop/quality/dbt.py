"""Running the packaged dbt project programmatically (`dbtRunner`).

The project ships read-only inside the package; everything dbt writes goes under the workspace:
`WORKSPACE/dbt/target` (artifacts: manifest, run_results.json, sources.json) and
`WORKSPACE/dbt/logs/dbt.log` (dbt's full log; the console stays quiet). The profile is generated
per run into a temporary folder and points at the warehouse in force; a PostgreSQL password is
read by dbt through `env_var()` and never written to disk.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from marketloop.errors import QualityError
from marketloop.quality.config import QualitySettings
from marketloop.quality.warehouse import Target, WarehouseBusy
from marketloop.workspace import DAMAGED_DUCKDB, DAMAGED_HINT

PROJECT_DIR = Path(__file__).parent / "dbt_project"
PROFILE = "marketloop"
PASSWORD_ENV = "MARKETLOOP_DBT_WAREHOUSE_PASSWORD"  # noqa: S105 - a variable name, not a secret
DBT_FILE_LOGGER = "file_log"  # the python logger dbt writes dbt.log with

#: progress callback: (unique id of the node, its status when finished or "started")
NodeCallback = Callable[[str, str], None]


@dataclass(frozen=True)
class DbtDirs:
    root: Path

    @property
    def target(self) -> Path:
        return self.root / "target"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs / "dbt.log"


def dbt_vars(present: Mapping[str, list[str]], quality: QualitySettings) -> dict[str, Any]:
    """The vars that tell the project which tables exist and which thresholds apply."""
    return {
        "marketloop_tables": {dataset: sorted(tables) for dataset, tables in present.items()},
        "marketloop_freshness": {
            name: rule.model_dump() for name, rule in quality.freshness.items()
        },
        "marketloop_lookback_days": quality.lookback_days,
        "marketloop_preferred": {
            "ga4_property_id": quality.ga4_property_id or "",
            "gsc_site_url": quality.gsc_site_url or "",
        },
        "marketloop_decay": {"share": quality.decay_share, "min_clicks": quality.decay_min_clicks},
    }


def profile(target: Target, quality: QualitySettings) -> dict[str, Any]:
    """profiles.yml content for `target`; the password stays an env_var() reference."""
    output: dict[str, Any] = {"schema": quality.schema_prefix, "threads": quality.threads}
    if target.kind == "duckdb":
        output |= {"type": "duckdb", "path": str(target.path)}
    else:
        output |= {
            "type": "postgres",
            "host": target.host,
            "port": target.port,
            "user": target.user,
            "password": f"{{{{ env_var('{PASSWORD_ENV}', '') }}}}",
            "dbname": target.database,
            "connect_timeout": 10,
            **dict(target.options),
        }
    return {PROFILE: {"target": target.kind, "outputs": {target.kind: output}}}


class Dbt:
    """dbt commands against one warehouse, with a generated profile (use as a context manager)."""

    def __init__(
        self,
        target: Target,
        quality: QualitySettings,
        dirs: DbtDirs,
        on_node: NodeCallback | None = None,
    ) -> None:
        self.target = target
        self.quality = quality
        self.dirs = dirs
        self.on_node = on_node
        self._profiles_dir: Path | None = None
        self._logged: list[str] = []  # messages of `log()` calls in macros (run-operation)

    @contextmanager
    def session(self) -> Iterator[Dbt]:
        self.dirs.target.mkdir(parents=True, exist_ok=True)
        self.dirs.logs.mkdir(parents=True, exist_ok=True)
        if self.target.kind == "dbt":  # the team's own profile (quality/adapters.py)
            self._profiles_dir = self.target.profiles_dir
            try:
                yield self
            finally:
                self._profiles_dir = None
            return
        with tempfile.TemporaryDirectory(prefix="marketloop-dbt-") as profiles:
            (Path(profiles) / "profiles.yml").write_text(
                yaml.safe_dump(profile(self.target, self.quality)), encoding="utf-8"
            )
            self._profiles_dir = Path(profiles)
            try:
                with _password_in_env(self.target.password):
                    yield self
            finally:
                self._profiles_dir = None

    def invoke(self, command: list[str], variables: Mapping[str, Any]) -> Any:
        """Run one dbt command; return dbt's result. Node failures are results, not errors;
        an invocation dbt could not carry out (bad project, no connection) raises."""
        from dbt.cli.main import dbtRunner

        if self._profiles_dir is None:
            raise RuntimeError("Dbt.invoke outside Dbt.session()")
        args = [
            *command,
            "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", str(self._profiles_dir),
            "--target-path", str(self.dirs.target.resolve()),  # relative: under the project
            "--log-path", str(self.dirs.logs.resolve()),
            "--vars", json.dumps(dict(variables)),
            "--log-level", "none",
            "--log-level-file", "info",
            "--no-use-colors",
            "--no-use-colors-file",
            "--no-send-anonymous-usage-stats",
            "--no-version-check",
        ]  # fmt: skip
        try:
            result = dbtRunner(callbacks=[self._event]).invoke(args)
        finally:
            _close_dbt_log_file()
            _release_duckdb()
        if result.exception is not None or (not result.success and result.result is None):
            raise self._failure(" ".join(command), result.exception)
        return result.result

    def inventory(self, candidates: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """Which of the candidate tables exist, asked through dbt (macros/inventory.sql): for a
        warehouse marketloop does not open itself."""
        self._logged.clear()
        args = [
            "run-operation",
            "marketloop_inventory",
            "--args",
            json.dumps({"candidates": dict(candidates)}),
        ]
        self.invoke(args, {})
        prefix = "marketloop_inventory "
        found = [m[len(prefix) :] for m in self._logged if m.startswith(prefix)]
        if not found:
            raise QualityError(
                "dbt did not report the warehouse's tables", hint=f"see {self.dirs.log_file}"
            )
        tables: dict[str, list[str]] = json.loads(found[-1])
        return tables

    def artifact(self, name: str) -> dict[str, Any]:
        path = self.dirs.target / name
        try:
            loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise QualityError(
                f"dbt did not write {path}: {exc}", hint=f"see {self.dirs.log_file}"
            ) from None
        return loaded

    def clear_artifacts(self) -> None:
        for name in ("run_results.json", "sources.json"):
            (self.dirs.target / name).unlink(missing_ok=True)

    def _event(self, event: Any) -> None:
        if event.info.name == "JinjaLogInfo":
            self._logged.append(str(event.info.msg))
        if self.on_node is None or event.info.name not in {"NodeStart", "NodeFinished"}:
            return
        node = event.data.node_info
        status = "started" if event.info.name == "NodeStart" else node.node_status
        self.on_node(node.unique_id, status)

    def _failure(self, command: str, exc: BaseException | None) -> QualityError:
        text = " ".join(str(exc or "dbt stopped without a result").split())
        if DAMAGED_DUCKDB in text:
            return QualityError(
                f"dbt {command} could not open {self.target.display}", hint=DAMAGED_HINT
            )
        if "lock" in text.lower() and self.target.kind == "duckdb":
            return WarehouseBusy(
                f"dbt {command} could not open {self.target.display}: {text}",
                hint="another marketloop job is writing the warehouse; try again when it ends",
            )
        return QualityError(
            f"dbt {command} failed on {self.target.display}: {text}",
            hint=f"see {self.dirs.log_file}",
        )


def _close_dbt_log_file() -> None:
    """dbt replaces its log file handler on each invocation without closing the old one; close
    it ourselves so that a long-lived process (runner, API) does not leak a file per run."""
    for handler in list(logging.getLogger(DBT_FILE_LOGGER).handlers):
        handler.close()
        logging.getLogger(DBT_FILE_LOGGER).removeHandler(handler)


def _release_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB connection open in a class attribute for the life of the
    process (closed only at exit), which would hold the warehouse file between invocations.
    Close it, so that other processes (and read-only readers here) can open the file."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a core dependency
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if environment is not None:
            environment.close()


@contextmanager
def _password_in_env(password: str | None) -> Iterator[None]:
    previous = os.environ.get(PASSWORD_ENV)
    if password:
        os.environ[PASSWORD_ENV] = password
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(PASSWORD_ENV, None)
        else:
            os.environ[PASSWORD_ENV] = previous
