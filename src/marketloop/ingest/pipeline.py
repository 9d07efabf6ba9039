"""One dlt pipeline per dataset (ga4, gsc, hubspot, files, crawl), run so that a failure while
fetching leaves the warehouse as it was, and a failure while writing is completed (transient)
or fetched again (terminal) by the next run.

dlt extracts a whole run to local files before anything is loaded, so an error or a kill while
paging loads nothing and commits no state: the incremental cursors (kept in dlt's state, loaded
with the data) advance only with a successful load. Merge and replace tables go through a
staging dataset and are swapped in by SQL, one transaction per table (dlt runs one job per
table, so the load step is not atomic across tables). A failure while writing can therefore
leave some tables with this run's rows:

- transient (a lost connection, a lock, a kill): the package stays pending and the next run
  loads it first, then fetches new data;
- terminal (a value the column's type rejects): the package is aborted (dlt's
  `auto_abort_on_terminal_error`) and the local cursors go back to the last complete load, so
  the next run fetches the same records again and merges them (merges are idempotent).

Working directories live in WORKSPACE/dlt/; pipelines are named after the dataset and the
destination, so a new warehouse never inherits another warehouse's cursors.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketloop.config import Settings
from marketloop.errors import IngestError, MarketloopError
from marketloop.ingest.http import IngestUnavailable
from marketloop.observe.logging import MASK, SECRET_KEY, get_logger, mask_secrets
from marketloop.workspace import DAMAGED_DUCKDB, DAMAGED_HINT, Workspace

if TYPE_CHECKING:
    from dlt.common.typing import TRefreshMode

log = get_logger("marketloop.ingest")
BOOKKEEPING = ("_dlt_pipeline_state", "_dlt_loads", "_dlt_version")


def configure_dlt() -> None:
    """dlt settings marketloop relies on (process-wide, idempotent)."""
    import dlt

    # telemetry is switched off in marketloop/__init__.py: here it would come too late
    dlt.config["runtime.dlthub_telemetry"] = False
    dlt.config["normalize.parquet_normalizer.add_dlt_id"] = True  # the contract's _dlt_id
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    dlt.config["destination.replace_strategy"] = "insert-from-staging"  # atomic per table
    dlt.config["load.auto_abort_on_terminal_error"] = True  # a bad value must not block forever
    dlt.config["runtime.log_level"] = "CRITICAL"  # dlt's tracebacks may quote rows and secrets


def silence_dlt_logger() -> None:
    """dlt (re)creates its logger, printing to stderr, when a pipeline starts; our errors say
    what failed, so its warnings (with tracebacks that may quote row values) stay quiet."""
    logging.getLogger("dlt").setLevel(logging.CRITICAL)


def destination_url(settings: Settings) -> str:
    """The destination's connection string (secret); duckdb: the absolute path of the file
    (`WarehouseSettings.duckdb_file`, which quality and keywords read too)."""
    warehouse = settings.warehouse
    if warehouse.destination == "duckdb":
        return str(warehouse.duckdb_file(Workspace(settings.workspace).ensure()))
    if warehouse.credentials is not None and warehouse.credentials.get_secret_value():
        return warehouse.credentials.get_secret_value()
    return ""  # dlt resolves it from its own config (e.g. DESTINATION__BIGQUERY__CREDENTIALS)


def destination_label(settings: Settings) -> str:
    """Where data goes, printable: passwords and token parameters masked, other opaque
    connection strings not shown at all."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    name, url = settings.warehouse.destination, destination_url(settings)
    if not url:
        return name
    if name == "duckdb" and "://" not in url and "?" not in url:
        return f"{name} {url}"
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"{name} (connection string hidden)"
    hidden = {key: MASK for key in parsed.query if SECRET_KEY.search(key)}
    shown = parsed.update_query_dict(hidden).render_as_string(hide_password=True)
    return f"{name} {shown.replace('%2A%2A%2A', MASK)}"


def destination(settings: Settings) -> Any:
    import dlt
    from dlt.common.destination import Destination

    url = destination_url(settings)
    name = settings.warehouse.destination
    if name == "duckdb":
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        duckdb = DuckDbCredentials(url)
        duckdb.global_config = {
            "memory_limit": settings.warehouse.duckdb_memory_limit,
            "preserve_insertion_order": False,
        }
        return dlt.destinations.duckdb(duckdb)
    if name == "postgres":
        from dlt.destinations.impl.postgres.configuration import PostgresCredentials

        postgres = PostgresCredentials(url)
        postgres.password = postgres.password or ""  # trust/peer auth needs none
        return dlt.destinations.postgres(postgres)
    return Destination.from_reference(name, credentials=url or None)


def private_dir(folder: Path) -> Path:
    """`folder`, created if missing, readable by its owner only: dlt's working files (load
    packages, traces) hold fetched rows and may quote errors."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def pipeline_for(settings: Settings, dataset: str, cursor_key: str | None = None) -> Any:
    """The pipeline of `dataset` in this warehouse; `cursor_key` (a GA4 property, a Search
    Console site) gives it a pipeline of its own, since dlt keeps cursors per resource."""
    import dlt

    configure_dlt()
    identity = f"{settings.warehouse.destination}|{destination_url(settings)}"
    if cursor_key is not None:
        identity += f"|{cursor_key}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:10]
    pipelines_dir = private_dir(Workspace(settings.workspace).ensure().root / "dlt")
    pipeline = dlt.pipeline(
        pipeline_name=f"marketloop_{dataset}_{digest}",
        pipelines_dir=str(pipelines_dir.resolve()),
        destination=destination(settings),
        dataset_name=dataset,
    )
    silence_dlt_logger()
    return pipeline


def load(
    settings: Settings,
    dataset: str,
    data: Any,
    *,
    refresh: TRefreshMode | None = None,
    cursor_key: str | None = None,
    keep: str | None = None,
) -> dict[str, int]:
    """Extract everything `data` yields, then load it; return rows loaded per table.
    `refresh="drop_resources"` drops the tables of `data` first (dlt's refresh), so the new
    rows define their columns and types; `keep=TABLE` puts that table back as it was if the
    load fails (keep.py)."""
    from marketloop.ingest.keep import previous_kept

    pipeline = pipeline_for(settings, dataset, cursor_key)
    with translated_errors(settings, dataset):
        if pipeline.has_pending_data:
            log.warning("finishing an interrupted load first", dataset=dataset)
            pipeline.run()
    fresh = (
        settings.warehouse.destination == "duckdb" and not Path(destination_url(settings)).exists()
    )
    with translated_errors(settings, dataset):  # a bad file fails here, before the warehouse
        pipeline.extract(data, refresh=refresh)  # is touched (dlt drops tables when loading)
    kept = previous_kept(pipeline, keep) if keep and not fresh else nullcontext()
    with translated_errors(settings, dataset, kept=keep), kept:
        pipeline.normalize()
        pipeline.load()
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {table: n for table, n in counts.items() if table not in BOOKKEEPING}


@contextmanager
def translated_errors(
    settings: Settings, dataset: str, *, kept: str | None = None
) -> Iterator[None]:
    """Turn dlt's wrapped exceptions back into ours, or into one clear IngestError."""
    from dlt.destinations.exceptions import DestinationConnectionError
    from dlt.pipeline.exceptions import PipelineStepFailed

    try:
        yield
    except (PipelineStepFailed, DestinationConnectionError) as exc:
        step = getattr(exc, "step", "connect")
        cause = _root_cause(getattr(exc, "exception", exc))
        if isinstance(cause, MarketloopError | KeyboardInterrupt):
            raise cause from None
        where = destination_label(settings)
        message = mask_secrets(" ".join(str(cause).split()))[:500]
        if DAMAGED_DUCKDB in message:
            raise IngestError(f"cannot open the warehouse {where}", hint=DAMAGED_HINT) from None
        if "lock" in message.lower() and settings.warehouse.destination == "duckdb":
            raise IngestUnavailable(
                f"the warehouse {where} is in use by another process",
                hint="wait for the other marketloop job to finish, then run again",
            ) from None
        raise IngestError(
            f"{step} of dataset {dataset} into {where} failed: {type(cause).__name__}: {message}",
            hint=f"{dataset}.{kept} is as it was before this run" if kept else failure_hint(exc),
        ) from None


def failure_hint(exc: Any) -> str:
    """What a failed step left behind (`exc` is dlt's PipelineStepFailed)."""
    from dlt.common.destination.exceptions import DestinationTerminalException

    if getattr(exc, "step", None) != "load":
        return "nothing was loaded"
    if _in_chain(exc.exception, DestinationTerminalException):
        return (
            "the load was abandoned: tables written before the failure keep this run's rows, "
            "the cursors are back at the last complete load, so the next run fetches the same "
            "records again; fix the data or the table first"
        )
    return (
        "some tables may already hold this run's rows; "
        "the next run completes the pending load first"
    )


def _in_chain(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _root_cause(exc: BaseException) -> BaseException:
    """The first marketloop error in the chain, else the innermost exception."""
    seen: set[int] = set()
    current: BaseException | None = exc
    innermost = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, MarketloopError | KeyboardInterrupt):
            return current
        seen.add(id(current))
        innermost = current
        # a failed load job carries the database's exception; its message is a traceback
        current = (
            getattr(current, "client_exception", None) or current.__cause__ or current.__context__
        )
    return innermost
