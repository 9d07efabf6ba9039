"""`marketloop crawl URL`: crawl a site into a crawl dataset, with a progress bar and a summary."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

from marketloop.clikit import (
    FORMAT_HELP,
    OutputFormat,
    WorkspaceOption,
    console,
    emit_json,
    emit_rows,
    esc,
    format_option,
    progress,
    state,
)
from marketloop.crawl.urls import InvalidUrl, host_of, normalize
from marketloop.errors import CrawlError, UsageError
from marketloop.workspace import Workspace

if TYPE_CHECKING:
    from marketloop.crawl.progress import CrawlStats
    from marketloop.crawl.run import CrawlResult


class RenderMode(StrEnum):
    none = "none"
    js = "js"


def crawl_command(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Argument(
            help="Start URL, e.g. https://example.com/ (not with --list).", show_default=False
        ),
    ] = None,
    *,
    url_list: Annotated[
        str | None,
        typer.Option(
            "--list",
            help="Crawl exactly the URLs in this file (one a line), or that this sitemap URL "
            "(or sitemap index) lists: depth 0, following redirects.",
            show_default=False,
        ),
    ] = None,
    sitemap_only: Annotated[
        bool,
        typer.Option("--sitemap-only", help="Crawl what the sitemaps list; follow no links."),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Dataset folder. Default: WORKSPACE/crawls/HOST-TIME."),
    ] = None,
    max_urls: Annotated[int | None, typer.Option(help="Stop after this many URLs.")] = None,
    max_depth: Annotated[int | None, typer.Option(help="Link depth limit (start = 0).")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight per host.")] = None,
    max_rps: Annotated[float | None, typer.Option(help="Requests per second per host.")] = None,
    include: Annotated[
        list[str] | None, typer.Option(help="Regex a URL must match (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Regex a URL must not match (repeatable).")
    ] = None,
    ignore_robots: Annotated[
        bool,
        typer.Option("--ignore-robots", help="Fetch URLs robots.txt disallows (still flagged)."),
    ] = False,
    user_agent: Annotated[str | None, typer.Option(help="User-Agent header.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds for one whole response.")] = None,
    allow_private_networks: Annotated[
        bool,
        typer.Option(
            "--allow-private-networks", help="Follow links into private/loopback addresses."
        ),
    ] = False,
    render: Annotated[
        RenderMode | None,
        typer.Option(
            "--render",
            help="js: render HTML pages in the system Chromium before parsing them.",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue the crawl in --out (or the latest one of this URL)."
        ),
    ] = False,
    fmt: Annotated[
        OutputFormat, format_option("The summary (--out is the dataset folder): " + FORMAT_HELP)
    ] = OutputFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Crawl a site breadth-first into a crawl dataset that `marketloop audit` reads.

    robots.txt is obeyed, redirects are recorded hop by hop, and sitemaps are read.
    Private addresses are refused unless the start URL is one (an IP or localhost).
    Ctrl-C stops cleanly; --resume continues without fetching a finished URL again.

    Examples:

      marketloop crawl https://example.com/

      marketloop crawl https://example.com/ --out crawl-1 --max-urls 5000 --exclude '/tag/'

      marketloop crawl https://example.com/ --out crawl-1 --resume

      marketloop crawl --list redirect-map.txt

      marketloop crawl --list https://example.com/sitemap.xml

      marketloop crawl https://example.com/ --sitemap-only

      marketloop crawl https://example.com/ --render js
    """
    overrides: dict[str, Any] = {
        "max_urls": max_urls,
        "max_depth": max_depth,
        "concurrency": concurrency,
        "max_rps": max_rps,
        "include": include or None,
        "exclude": exclude or None,
        "obey_robots": False if ignore_robots else None,
        "user_agent": user_agent,
        "timeout": timeout,
        "allow_private_networks": True if allow_private_networks else None,
        "mode": "list" if url_list else "sitemap" if sitemap_only else None,
        "render": render.value if render is not None else None,
    }
    from marketloop.crawl.run import run_crawl  # the crawler's imports wait until needed

    seeds = _seeds(url, url_list, sitemap_only)
    start = seeds[0] if seeds else _start_url(url or url_list or "")
    settings = state(ctx).settings(workspace, crawl=overrides)
    folder = out or _default_folder(Workspace(settings.workspace).ensure(), start, resume)
    with CrawlProgress() as show:
        result = run_crawl(
            start, folder, settings.crawl, resume=resume, on_progress=show, seeds=seeds
        )
    _summary(result, fmt)
    if result.interrupted:
        console.print(f"[yellow]interrupted[/]: continue with --out {esc(folder)} --resume")
        raise typer.Exit(130)
    counts = result.manifest.counts
    if not any(counts.get(f"status_{n}xx") for n in range(1, 6)):
        raise CrawlError(
            f"no URL of {result.manifest.start_url} answered; see the errors in {folder}",
            hint="check the URL and the network, or --timeout",
        )


def _seeds(url: str | None, url_list: str | None, sitemap_only: bool) -> list[str]:
    """The URLs of a --list file (none without it, and none for a sitemap URL: the crawler
    reads the sitemap); a start URL and --list together are refused."""
    if url_list is None:
        if url is None:
            raise UsageError("give a start URL or --list FILE", hint="marketloop crawl --help")
        return []
    if url is not None or sitemap_only:
        raise UsageError(
            "--list crawls the URLs of its file: drop the start URL and --sitemap-only",
            hint="marketloop crawl --list urls.txt",
        )
    from marketloop.crawl.urllist import is_url, read_url_list

    if is_url(url_list):
        return []
    return read_url_list(Path(url_list))  # resumed: the frontier already holds them


def _start_url(url: str) -> str:
    """The start URL in normal form; anything else is a usage error (exit 2)."""
    try:
        return normalize(url)
    except InvalidUrl as exc:
        raise UsageError(
            f"cannot crawl: {exc}", hint="give a full URL, e.g. https://example.com/"
        ) from None


def _default_folder(workspace: Workspace, start: str, resume: bool) -> Path:
    from marketloop.crawl.dataset import Manifest

    if not resume:
        return workspace.new_crawl_dir(host_of(start))
    for folder in reversed(workspace.crawl_dirs()):
        manifest = Manifest.read(folder)
        if manifest.start_url == start and manifest.status != "finished":
            return folder
    raise CrawlError(
        f"no unfinished crawl of {start} in {workspace.crawls_dir}", hint="pass --out DIR"
    )


class CrawlProgress:
    """A rich progress line fed by the crawler's stats (at most ten redraws a second)."""

    def __init__(self) -> None:
        self.bar = progress(
            SpinnerColumn(),
            TextColumn("[bold]crawling[/]"),
            TextColumn("{task.fields[done]:,} done · {task.fields[queued]:,} queued"),
            TextColumn("· {task.fields[rate]:,.0f} URLs/s · {task.fields[errors]:,} errors"),
            TimeElapsedColumn(),
        )
        self.task = self.bar.add_task("crawl", total=None, done=0, queued=0, rate=0.0, errors=0)
        self.last = 0.0

    def __call__(self, stats: CrawlStats) -> None:
        now = time.monotonic()
        if now - self.last >= 0.1:
            self.last = now
            self.bar.update(
                self.task,
                done=stats.done,
                queued=stats.queued,
                rate=stats.rate,
                errors=stats.errors,
            )

    def __enter__(self) -> CrawlProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


def _summary(result: CrawlResult, fmt: OutputFormat) -> None:
    counts, stats = result.manifest.counts, result.stats
    figures: dict[str, Any] = {
        f"{n}xx": counts.get(f"status_{n}xx", 0) for n in range(2, 6) if counts.get(f"status_{n}xx")
    }
    figures.update(
        {
            "blocked by robots.txt": counts.get("blocked", 0),
            "no response": counts.get("no_response", 0),
            "errors": counts.get("errors", 0),
            "URLs": counts.get("urls", 0),
            "links": counts.get("links", 0),
            "time (s)": round(stats.elapsed, 1),
            "URLs/s": round(stats.rate, 1),
            "status": result.manifest.status,
            "dataset": str(result.folder),
        }
    )
    if fmt is OutputFormat.json:
        emit_json({"crawl_id": result.manifest.crawl_id, **figures, "notes": result.manifest.notes})
        return
    rows = [{"": key, "value": value} for key, value in figures.items()]
    emit_rows(rows, fmt, title=f"crawl of {result.manifest.start_url}")
    for note in result.manifest.notes:
        console.print(f"[yellow]note:[/] {esc(note)}")
