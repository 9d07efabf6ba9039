"""Running an audit: plan the checks, run them over the dataset views, prioritise, store.

    issues = audit.run(CrawlDataset.open(folder), settings)     # the contract
    result = audit.engine.audit(folder, settings)               # issues, tickets, warnings

Every issue carries a priority (see priority.py) and the result groups them into tickets.
A full audit (no `select`) is written to `DIR/issues.parquet` with its thresholds.

The findings stay in DuckDB (table `findings`: a SQL check's query is inserted there directly,
a Python check's findings through Arrow), where the priorities, the order and the tickets are
computed; the issues come back as one Arrow table. A million pages make 1.5 million issues:
as Python objects that was over a gigabyte, so `Audit.issues` builds them only when asked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import pyarrow as pa

from marketloop.audit import custom, heap, impact, priority
from marketloop.audit.config import AuditSettings, size_bytes
from marketloop.audit.model import Check, CheckContext, Issue, Severity, Ticket
from marketloop.audit.registry import PARAM, Plan, plan
from marketloop.audit.store import AuditRecord, as_issues, write_issues
from marketloop.audit.tickets import EXAMPLES
from marketloop.audit.views import open_views, out_of_memory
from marketloop.config import Settings
from marketloop.crawl.dataset import CrawlDataset, Manifest
from marketloop.errors import AuditError, CrawlDatasetError

Progress = Callable[[Check], None]

#: share of `audit.memory_limit` that DuckDB leaves to the rest of the process while the SQL
#: checks run, when Python checks follow (lowered before the SQL checks, as measured)
PYTHON_SHARE = 0.2

#: share that DuckDB leaves from the Python checks to the end of the audit: the Python checks
#: run beside what DuckDB still holds (near_duplicate's fingerprints, bands and candidate
#: pairs: about 0.5 GB at a million pages), then DuckDB's sort of the issues hands them over
#: as Arrow outside its cap (about 0.5 GB for 1.5 million issues). At 80% the peak RSS of a
#: million pages was 1.9 to 2.2 GB, set by that sort; at half, 1.5 GB, set by the views
OUTPUT_SHARE = 0.5

#: checks that need the whole site: on a crawl cut short by a limit, an unreached page may be
#: linked (orphan_page) or listed in a sitemap while not indexable (non_indexable_in_sitemap)
WHOLE_SITE = ("orphan_page", "non_indexable_in_sitemap")


def crawl_limit(manifest: Manifest) -> str | None:
    """How a crawl limit cut the crawl short, in words: a depth limit, or --max-urls reached."""
    depth = manifest.settings.get("max_depth")
    if depth is not None:
        return f"was limited to depth {depth} (--max-depth)"
    budget = manifest.settings.get("max_urls")
    fetched = manifest.counts.get("urls", manifest.counts.get("pages"))
    if budget is not None and fetched is not None and fetched >= budget:
        return f"stopped at its limit of {budget} URLs (--max-urls)"
    return None


@dataclass(frozen=True)
class Audit:
    """An audit's result. Its issues live in `table` (Arrow, highest priority first, with each
    URL's link depth); `issues` makes them Python objects on first use, which a big crawl's
    caller can avoid (`count`, `table`)."""

    dataset: CrawlDataset
    plan: Plan
    table: pa.Table
    tickets: list[Ticket]
    formula: str | None = None  # the analytics impact formula, when tickets are ranked by it

    @cached_property
    def issues(self) -> list[Issue]:
        return as_issues(self.table)

    @property
    def count(self) -> int:
        return int(self.table.num_rows)

    @cached_property
    def depths(self) -> dict[str, int | None]:
        """Each URL with an issue: its link depth (None where the crawl has none)."""
        return dict(
            zip(self.table["url"].to_pylist(), self.table["depth"].to_pylist(), strict=True)
        )

    @property
    def warning(self) -> str | None:
        """Set when the crawl did not finish, so the audit covers part of the site."""
        manifest = self.dataset.manifest
        if manifest.status == "finished":
            return None
        fetched = manifest.counts.get("urls", manifest.counts.get("pages"))
        so_far = f" ({fetched} URLs so far)" if fetched is not None else ""
        return (
            f"crawl {manifest.crawl_id} is {manifest.status}{so_far}: this audit covers only "
            "part of the site"
        )

    @property
    def limited(self) -> str | None:
        """Set when a crawl limit (--max-depth, --max-urls) leaves checks blind (`WHOLE_SITE`)."""
        manifest = self.dataset.manifest
        planned = {c.id for c in self.plan.checks}
        blind = [check for check in WHOLE_SITE if check in planned]
        limit = crawl_limit(manifest)
        if not blind or limit is None:
            return None
        return (
            f"crawl {manifest.crawl_id} {limit}: {' and '.join(blind)} cannot judge the pages "
            "it did not reach (crawl without the limit to audit them)"
        )

    @property
    def warnings(self) -> list[str]:
        return [w for w in (self.warning, self.limited) if w is not None]

    def record(self) -> AuditRecord:
        return AuditRecord(
            crawl_id=self.dataset.manifest.crawl_id,
            checks=[c.id for c in self.plan.checks],
            disabled=self.plan.disabled,
            thresholds=self.plan.limits,
        )


def run(dataset: CrawlDataset | Path | str, settings: Settings | AuditSettings) -> list[Issue]:
    """Audit a crawl dataset and store `DIR/issues.parquet`; the issues, highest priority first."""
    return audit(dataset, settings).issues


def audit(
    dataset: CrawlDataset | Path | str,
    settings: Settings | AuditSettings,
    *,
    select: Collection[str] | None = None,
    traffic: priority.TrafficSource | None = None,
    values: Mapping[str, impact.PageValue] | None = None,
    save: bool = True,
    progress: Progress | None = None,
) -> Audit:
    """Run the enabled checks (or only `select`), prioritise, group into tickets, store.

    `values` (page key → analytics, see analytics.py) ranks the tickets by what their URLs
    are worth; without it they keep the link-graph impact.
    """
    crawl = dataset if isinstance(dataset, CrawlDataset) else CrawlDataset.open(dataset)
    section = settings.audit if isinstance(settings, Settings) else settings
    chosen = plan(section, select)
    with open_views(crawl, settings=section) as con:
        custom.validate(con, [c for c in section.custom if c.id in {k.id for k in chosen.custom}])
        con.execute(FINDINGS)
        _run_checks(con, crawl, chosen, progress, size_bytes(section.memory_limit))
        try:
            priority.load_importance(con, traffic)
            con.execute(SCORED)
            con.execute("DROP TABLE page_state; DROP TABLE refs; DROP TABLE in_sitemap")
            con.execute("DROP TABLE rendered_pages")
            made = _tickets(con, chosen.catalog)
            table = con.sql(ISSUES_SQL).to_arrow_table()
        except duckdb.OutOfMemoryException as exc:
            raise out_of_memory(crawl, exc) from None
    found = impact.check_urls(table) if values else iter(())
    ranked = impact.rank(made, found, values or {}, section.impact)
    formula = impact.formula(section.impact) if values else None
    result = Audit(crawl, chosen, table, ranked, formula)
    if save and select is None:
        write_issues(crawl.folder, table, result.record())
    return result


#: every finding of every check, as the checks report them (a SQL check's never leave DuckDB),
#: and the threshold of each check's findings that give none (its default's value)
FINDINGS = """
CREATE OR REPLACE TEMP TABLE findings (
    "check" VARCHAR, severity VARCHAR, rank INTEGER, url VARCHAR, detail VARCHAR,
    value DOUBLE, threshold DOUBLE);
CREATE OR REPLACE TEMP TABLE fallbacks ("check" VARCHAR, threshold DOUBLE);
"""

#: the findings with their priority and the URL's depth (the helper tables that made them are
#: dropped next: their memory goes to the sorts that follow)
SCORED = """
CREATE OR REPLACE TEMP TABLE scored AS
SELECT f."check", f.severity, f.rank, f.url, f.detail, f.value,
       coalesce(f.threshold, d.threshold) AS threshold, p.priority, i.depth
FROM findings f LEFT JOIN importance i USING (url)
     JOIN priorities p ON p.severity = f.severity AND p.importance = coalesce(i.importance, 1.0)
     LEFT JOIN fallbacks d ON d."check" = f."check";
DROP TABLE findings;
DROP TABLE fallbacks;
DROP TABLE importance;
"""

#: the issues, highest priority first (then severity, check, URL; detail and value break ties)
ISSUES_SQL = """
SELECT "check", severity, url, detail, value, threshold, priority, depth FROM scored
ORDER BY priority DESC, rank DESC, "check", url, detail, value
"""

#: per check: its URLs, its impact in cents (the priorities are rounded to cents, so their
#: exact sum; `tickets.tickets` sums them with `math.fsum`) and its `EXAMPLES` highest-priority
#: issues in issue order, by a top-n aggregate (no sort of every finding: only a handful of
#: rows is kept per check)
TICKETS_SQL = """
SELECT "check", count(DISTINCT url) AS urls,
       sum(round(priority * 100)::BIGINT) AS cents,
       min_by({'check': "check", 'severity': severity, 'url': url, 'detail': detail,
               'value': value, 'threshold': threshold, 'priority': priority},
              {'priority': -priority, 'url': url, 'detail': detail, 'value': value},
              $examples) AS examples
FROM scored GROUP BY "check"
"""


def _tickets(con: duckdb.DuckDBPyConnection, catalog: Mapping[str, Check]) -> list[Ticket]:
    """`tickets.tickets` over the scored findings, making only the examples Python objects."""
    made = []
    rows = con.execute(TICKETS_SQL, {"examples": EXAMPLES}).fetchall()
    for check_id, urls, cents, examples in rows:
        check = catalog[check_id]
        shown = tuple(Issue(**{**e, "severity": Severity(e["severity"])}) for e in examples)
        impact_ = round(cents / 100, 2)
        made.append(
            Ticket(check_id, check.severity, check.description, check.fix, urls, impact_, shown)
        )
    return sorted(made, key=lambda t: (-t.impact, -t.severity.rank, t.check))


def stored_tickets(table: pa.Table, catalog: Mapping[str, Check]) -> list[Ticket]:
    """The tickets of a stored audit (`store.read_issue_table`), as the audit made them: in SQL,
    only the examples become objects (a million issues would be GBs of `Issue`s)."""
    con = duckdb.connect()
    try:
        con.register("scored", table)
        return _tickets(con, catalog)
    finally:
        con.close()


FOUND = pa.schema(
    [
        ("url", pa.string()),
        ("detail", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
    ]
)

#: DuckDB errors that mean a check's SQL is wrong, not that the dataset is
_BUGS = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


def _run_checks(
    con: duckdb.DuckDBPyConnection,
    crawl: CrawlDataset,
    chosen: Plan,
    progress: Progress | None,
    memory_limit: int,
) -> None:
    """Run the plan's checks, adding their findings to table `findings`: the SQL checks, then
    the Python ones (near_duplicate's fingerprint search, numpy on two threads). `progress` is
    told of each check as its findings are added.

    The Python checks used to run in a worker thread beside the SQL ones. On the shared 2-core
    machine that took longer: at a million pages 107.0 s instead of 96.3 s at a load average of
    about 2 (193.8 and 163.3 CPU s), 227.8 s instead of 169.3 s at about 4.3 (195.9 and 193.1
    CPU s); 16.9 s instead of 11.4 s at 100,000 (load 4.3). While the SQL checks run, DuckDB
    keeps to `1 - PYTHON_SHARE` of `memory_limit` (bytes), lowered before them as measured;
    from the Python checks to the end of the audit, to `1 - OUTPUT_SHARE`, so that their
    arrays and then the issues table fit in the audit's memory rather than on top of it. The
    C heap's free pages go back to the system after each Python check (`heap.trim`)."""
    python = [check for check in chosen.checks if check.sql is None]
    if python:
        _cap(con, memory_limit, PYTHON_SHARE)
    for check in chosen.checks:
        if check.sql is not None:
            _sql_findings(check, con, crawl, chosen)
            if progress is not None:
                progress(check)
    _cap(con, memory_limit, OUTPUT_SHARE)
    for check in python:
        _add(check, con, crawl, chosen, _python_findings(check, con, crawl, chosen))
        heap.trim()
        if progress is not None:
            progress(check)


def _cap(con: duckdb.DuckDBPyConnection, memory_limit: int, share: float) -> None:
    """Keep DuckDB to `1 - share` of `memory_limit` (bytes): past it, it spills (lowering the
    limit writes out what no longer fits and frees it at once)."""
    con.execute(f"SET memory_limit = '{int(memory_limit * (1 - share))}B'")


def _columns(check: Check, con: duckdb.DuckDBPyConnection, chosen: Plan) -> str:
    """The constant columns of a check's findings, named; its threshold's default is added to
    table `fallbacks` for the findings that give none."""
    if check.thresholds:
        default = chosen.limits[check.thresholds[0].key]
        con.execute("INSERT INTO fallbacks VALUES (?, ?)", [check.id, default])
    name = check.id.replace("'", "''")
    severity = check.severity
    return f"""'{name}' AS "check", '{severity.value}' AS severity, {severity.rank} AS rank"""


def _sql_findings(
    check: Check, con: duckdb.DuckDBPyConnection, crawl: CrawlDataset, chosen: Plan
) -> None:
    """Insert a SQL check's findings straight from its query, matching its columns by name
    (`value` and `threshold` are optional), so that the query is bound once: binding a query
    on `links` reads the schemas of its parts (about 1 CPU s for 15,000 parts)."""
    assert check.sql is not None
    fixed = _columns(check, con, chosen)
    used = set(PARAM.findall(check.sql))
    params = {key: value for key, value in chosen.limits_for(check).items() if key in used}
    with _check_errors(check, crawl):
        con.execute(
            f"INSERT INTO findings BY NAME SELECT {fixed}, "
            f"COLUMNS(lambda c: c IN ('url', 'detail', 'value', 'threshold')) "
            f"FROM ({check.sql}) q",
            params,
        )


def _python_findings(
    check: Check, con: duckdb.DuckDBPyConnection, crawl: CrawlDataset, chosen: Plan
) -> pa.Table:
    """A Python check's findings as an Arrow table (read on a cursor of the connection)."""
    with con.cursor() as cursor, _check_errors(check, crawl):
        ctx = CheckContext(cursor, chosen.limits_for(check), crawl.manifest)
        return pa.Table.from_pylist(
            [
                {"url": f.url, "detail": f.detail, "value": f.value, "threshold": f.threshold}
                for f in check.find(ctx)
            ],
            schema=FOUND,
        )


def _add(
    check: Check,
    con: duckdb.DuckDBPyConnection,
    crawl: CrawlDataset,
    chosen: Plan,
    found: pa.Table,
) -> None:
    fixed = _columns(check, con, chosen)
    with _check_errors(check, crawl):
        con.register("found", found)
        con.execute(f"INSERT INTO findings BY NAME SELECT {fixed}, * FROM found")
        con.unregister("found")


@contextmanager
def _check_errors(check: Check, crawl: CrawlDataset) -> Iterator[None]:
    """DuckDB errors while `check` runs, as the audit's errors: out of memory, a bug in the
    check (its SQL is wrong), or a dataset that cannot be read."""
    try:
        yield
    except duckdb.OutOfMemoryException as exc:
        raise out_of_memory(crawl, exc) from None
    except duckdb.Error as exc:
        if custom.is_custom(check):  # the user's SQL, not a bug of ours or a damaged dataset
            raise custom.failed(check, crawl.manifest.crawl_id, exc) from None
        raise _builtin_error(check, crawl, exc) from None


def _builtin_error(check: Check, crawl: CrawlDataset, exc: duckdb.Error) -> Exception:
    """A built-in check's failure: a bug in its SQL, else a dataset that cannot be read."""
    first_line = str(exc).splitlines()[0]
    if isinstance(exc, _BUGS):
        return AuditError(
            f"check {check.id} failed on crawl {crawl.manifest.crawl_id}: {first_line}",
            hint=f"this is a bug: report it, and meanwhile set audit.disabled = ['{check.id}']",
        )
    return CrawlDatasetError(
        f"cannot read crawl {crawl.manifest.crawl_id} in {crawl.folder} "
        f"(check {check.id}): {first_line}",
        hint="a part file may be truncated or corrupted; re-run the crawl",
    )
