"""Running an audit: plan the checks, run them over the dataset views, prioritise, store.

    issues = audit.run(CrawlDataset.open(folder), settings)     # the contract
    result = audit.engine.audit(folder, settings)               # issues, tickets, warnings

Every issue carries a priority (see priority.py) and the result groups them into tickets.
A full audit (no `select`) is written to `DIR/issues.parquet` with its thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from marketloop.audit import custom, priority
from marketloop.audit.config import AuditSettings
from marketloop.audit.model import Check, CheckContext, Finding, Issue, Ticket
from marketloop.audit.registry import Plan, plan
from marketloop.audit.store import AuditRecord, write_issues
from marketloop.audit.tickets import tickets
from marketloop.audit.views import open_views, out_of_memory
from marketloop.config import Settings
from marketloop.crawl.dataset import CrawlDataset, Manifest
from marketloop.errors import AuditError, CrawlDatasetError

Progress = Callable[[Check], None]

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
    dataset: CrawlDataset
    plan: Plan
    issues: list[Issue]
    tickets: list[Ticket]
    signals: dict[str, priority.PageSignals] = field(default_factory=dict)

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
    save: bool = True,
    progress: Progress | None = None,
) -> Audit:
    """Run the enabled checks (or only `select`), prioritise, group into tickets, store."""
    crawl = dataset if isinstance(dataset, CrawlDataset) else CrawlDataset.open(dataset)
    section = settings.audit if isinstance(settings, Settings) else settings
    chosen = plan(section, select)
    found: list[tuple[Check, str, str, float | None, float | None]] = []
    with open_views(crawl, settings=section) as con:
        custom.validate(con, [c for c in section.custom if c.id in {k.id for k in chosen.custom}])
        for check in chosen.checks:
            ctx = CheckContext(con, chosen.limits_for(check), crawl.manifest)
            for f in _find(check, ctx, crawl):
                default = chosen.limits[check.thresholds[0].key] if check.thresholds else None
                threshold = f.threshold if f.threshold is not None else default
                found.append((check, f.url, f.detail, f.value, threshold))
            if progress is not None:
                progress(check)
        signals = priority.load_signals(con, {url for _, url, *_ in found}, traffic)
    issues = sorted(
        (
            Issue(
                c.id,
                c.severity,
                url,
                detail,
                value,
                threshold,
                priority.priority(c.severity, signals.get(url)),
            )
            for c, url, detail, value, threshold in found
        ),
        key=lambda i: (-i.priority, -i.severity.rank, i.check, i.url),
    )
    result = Audit(crawl, chosen, issues, tickets(issues, chosen.catalog), signals)
    if save and select is None:
        write_issues(crawl.folder, issues, result.record())
    return result


#: DuckDB errors that mean a check's SQL is wrong, not that the dataset is
_BUGS = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


def _find(check: Check, ctx: CheckContext, crawl: CrawlDataset) -> list[Finding]:
    try:
        return list(check.find(ctx))
    except duckdb.OutOfMemoryException as exc:
        raise out_of_memory(crawl, exc) from None
    except _BUGS as exc:
        raise AuditError(
            f"check {check.id} failed on crawl {crawl.manifest.crawl_id}: "
            f"{str(exc).splitlines()[0]}",
            hint=f"this is a bug: report it, and meanwhile set audit.disabled = ['{check.id}']",
        ) from None
    except duckdb.Error as exc:
        raise CrawlDatasetError(
            f"cannot read crawl {crawl.manifest.crawl_id} in {crawl.folder} "
            f"(check {check.id}): {str(exc).splitlines()[0]}",
            hint="a part file may be truncated or corrupted; re-run the crawl",
        ) from None
