"""Crawl speed and memory: marketloop against advertools (Scrapy), same site, same run.

The generated sample site (clean, no defects) is exported to static files and served by nginx
(/usr/sbin/nginx, foreground, a temp config on a free port). Both crawlers run as separate
process trees with the same user agent, robots.txt obeyed, no throttling and the same
concurrency; peak RSS is the sum over each tree, sampled with psutil every 50 ms. Then a
100,000-page crawl by marketloop alone (`BENCH_CRAWL_BIG`) reports its pages/s and peak RSS
against the goal for its size (`BIG_GOALS_MB`: under 500 MB at 100,000 pages, under 1 GB at
1,000,000), and the RSS at each quarter of the run, which shows whether memory grows with the
pages crawled.

    python -m bench crawl                                   # 10,000 pages, then 100,000
    BENCH_CRAWL_PAGES=2000 BENCH_CRAWL_BIG=0 python -m bench crawl   # quick look
    BENCH_CRAWL_PAGES=0 python -m bench crawl                        # only the 100,000 pages
    BENCH_CRAWL_PAGES=0 BENCH_CRAWL_RENDER=0 BENCH_CRAWL_BIG=1000000 python -m bench crawl

The sample site's prose costs about 1.2 CPU ms a page to generate (20 CPU minutes at a million)
and one file a page is slow on a busy disk, so at a million pages use
`BENCH_CRAWL_BIG_SITE=generated` (bench/bigsite.py: the same kind of page, written in a
fraction of the time) and `BENCH_CRAWL_SITE_DIR=/dev/shm` (the site in memory; ~5 GB at a
million pages, removed afterwards). The crawl's dataset stays in the temp folder on disk.
    BENCH_CRAWL_PAGES=0 BENCH_CRAWL_BIG=0 python -m bench crawl      # only --render js, 300 pages

`BENCH_CRAWL_RENDER` pages (default 300, 0 to skip) of the sample site with its JavaScript
section (`SampleSite(javascript=True)`: a catalogue of pages/10 items linked and filled only by
scripts, sample/javascript.py) are also crawled with and without `--render js` (Chromium through
Playwright, `render_pages` 2): pages/s, CPU and peak RSS of the whole process tree and of the
browser's processes alone, the pages found only through script-built links, and what the
audit's JavaScript checks find (and that they flag nothing outside the catalogue).

Goals (issue 2): >= 10x advertools' pages/s with the same URLs found, peak memory no higher
than advertools', a 100,000-page crawl under 500 MB peak RSS (issue 2) and a 1,000,000-page
crawl under 1 GB (issue 16).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench import bigsite
from marketloop.audit.checks.javascript import RENDERED as RENDERED_SCOPE
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.urls import normalize
from marketloop.sample import SampleSite

USER_AGENT = "marketloop-bench/1.0"
JS_SECTION = "/app/"  # the sample site's JavaScript-built catalogue (sample/javascript.py)
#: the big crawl's peak RSS goal by size: the first size at least the crawl's pages applies
BIG_GOALS_MB = {100_000: 500, 1_000_000: 1024}
TIMELINE_SECONDS = 5.0  # RSS is also kept every so often, to see how it grows
CONCURRENCY = 16
SRC = Path(__file__).resolve().parents[1] / "src"
NGINX = "/usr/sbin/nginx"
NGINX_CONF = """
daemon off;
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ text/html html; text/css css; text/plain txt; application/xml xml;
            application/gzip gz; image/png png; text/javascript js; application/json json; }}
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} reuseport;
        root {root};
        index index.html;
    }}
}}
"""


@dataclass
class Run:
    tool: str
    seconds: float
    peak_rss: int  # bytes, summed over the process tree
    cpu: float  # user + system seconds of the process tree
    urls: set[str]
    browser_rss: int = 0  # bytes, summed over the browser's processes (--render js)
    timeline: list[tuple[float, int]] = field(default_factory=list)  # (seconds, RSS bytes)
    stopped: bool = False  # stopped by BENCH_CRAWL_SECONDS before the end

    @property
    def rate(self) -> float:
        return len(self.urls) / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / max(len(self.urls), 1) * 1000


def main() -> None:
    if not Path(NGINX).is_file():
        raise SystemExit(
            f"the crawl bench serves the site with nginx: {NGINX} is missing "
            "(apt-get install -y nginx)"
        )
    pages = int(os.environ.get("BENCH_CRAWL_PAGES", "10000"))
    big = int(os.environ.get("BENCH_CRAWL_BIG", "100000"))
    repeat = int(os.environ.get("BENCH_CRAWL_REPEAT", "2"))
    render = int(os.environ.get("BENCH_CRAWL_RENDER", "300"))
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        work = Path(tmp)
        ours, theirs = [], []
        if pages:
            with served(SampleSite(pages, defects=False), work / "site") as url:
                for n in range(repeat):  # alternate, so a burst of load elsewhere hits both
                    ours.append(crawl_marketloop(url, work / f"ours-{n}"))
                    theirs.append(crawl_advertools(url, work / f"theirs-{n}.jl"))
            report(pages, ours, theirs)
        if big:
            generated = os.environ.get("BENCH_CRAWL_BIG_SITE", "sample") == "generated"
            site = bigsite.Generated(big) if generated else SampleSite(big, defects=False)
            root = Path(os.environ.get("BENCH_CRAWL_SITE_DIR") or work) / f"big-{os.getpid()}"
            try:
                with served(site, root) as url:
                    budget = float(os.environ.get("BENCH_CRAWL_SECONDS") or 0) or None
                    report_big(crawl_marketloop(url, work / "big-crawl", stop_after=budget), site)
            finally:
                shutil.rmtree(root, ignore_errors=True)
        if render:
            sample = SampleSite(render, defects=False, javascript=True)
            with served(sample, work / "render") as url:
                plain = crawl_marketloop(url, work / "plain-crawl")
                rendered = crawl_marketloop(url, work / "render-crawl", "--render", "js")
            report_render(plain, rendered)
            report_javascript(url, plain, rendered, work / "render-crawl")


@contextmanager
def served(sample: SampleSite | bigsite.Generated, root: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    count = sample.export(root, url)
    print(f"exported {count:,} pages in {time.perf_counter() - started:.1f} s")
    conf = root.parent / f"nginx-{port}.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    workers = max(2, os.cpu_count() or 2)
    text = NGINX_CONF.format(workers=workers, tmp=root.parent, port=port, root=root)
    conf.write_text(text, encoding="utf-8")
    root.parent.chmod(0o755)
    nginx = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(root.parent), "-e", str(root.parent / "error.log")]
    )
    try:
        wait_for_port(port)
        yield url + "/"
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        if isinstance(sample, bigsite.Generated):
            sample.close()


def crawl_marketloop(url: str, out: Path, *extra: str, stop_after: float | None = None) -> Run:
    env = {**os.environ, "PYTHONPATH": str(SRC), "MARKETLOOP_CRAWL_FETCH_IMAGES": "false"}
    command = [
        *(sys.executable, "-m", "marketloop", "crawl", url, "--out", str(out), "--format", "json"),
        *("--user-agent", USER_AGENT, "--concurrency", str(CONCURRENCY), "--max-urls", "10000000"),
        *extra,
    ]
    peaks = [0, 0]
    timeline: list[tuple[float, int]] = []
    seconds, peak, cpu = measure(command, env, peaks, timeline, stop_after)
    dataset = CrawlDataset.open(out)
    urls = {
        r["url"] for r in dataset.query("SELECT url FROM pages WHERE content_type = 'text/html'")
    }
    stopped = dataset.manifest.status == "interrupted"
    return Run("marketloop", seconds, peak, cpu, urls, peaks[1], timeline, stopped)


def crawl_advertools(url: str, output: Path) -> Run:
    settings = {
        "USER_AGENT": USER_AGENT,
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": CONCURRENCY,
        "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "LOG_LEVEL": "WARNING",
    }
    code = (
        "import advertools, json, sys; "
        "advertools.crawl([sys.argv[1]], sys.argv[2], follow_links=True, "
        "allowed_domains=['127.0.0.1'], custom_settings=json.loads(sys.argv[3]))"
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    seconds, peak, cpu = measure(
        [sys.executable, "-c", code, url, str(output), json.dumps(settings)], env
    )
    urls = set()
    with output.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if str(row.get("status")) == "200":
                urls.add(normalize(row["url"]))
    return Run("advertools", seconds, peak, cpu, urls)


def measure(
    command: list[str],
    env: dict[str, str],
    peaks: list[int] | None = None,
    timeline: list[tuple[float, int]] | None = None,
    stop_after: float | None = None,
) -> tuple[float, int, float]:
    """Wall time, peak RSS (summed over the process tree) and CPU time of a command; `peaks`
    receives [tree, browser processes alone] peak RSS, `timeline` the RSS every
    `TIMELINE_SECONDS`. After `stop_after` seconds the command gets SIGTERM (a crawl then stops
    cleanly, exit status 130)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    peak = peaks if peaks is not None else [0, 0]
    kept = timeline if timeline is not None else []
    sampler = threading.Thread(target=sample_rss, args=(process.pid, peak, kept), daemon=True)
    sampler.start()
    try:
        process.wait(timeout=stop_after)
    except subprocess.TimeoutExpired:
        process.terminate()
        process.wait()
    seconds = time.perf_counter() - started
    sampler.join(timeout=1)
    if process.returncode not in ((0, 130) if stop_after else (0,)):
        raise SystemExit(f"{command[:4]} failed with exit status {process.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, peak[0], cpu


def sample_rss(pid: int, peak: list[int], timeline: list[tuple[float, int]]) -> None:
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    started = next_kept = time.perf_counter()
    while root.is_running() and root.status() != psutil.STATUS_ZOMBIE:
        total = browser = 0
        for process in [root, *root.children(recursive=True)]:
            try:
                rss = process.memory_info().rss
                total += rss
                browser += rss if process.name().startswith(("chrom", "headless")) else 0
            except psutil.Error:
                continue
        peak[0] = max(peak[0], total)
        if len(peak) > 1:
            peak[1] = max(peak[1], browser)
        if time.perf_counter() >= next_kept:
            timeline.append((time.perf_counter() - started, total))
            next_kept += TIMELINE_SECONDS
        time.sleep(0.05)


def report(pages: int, ours_runs: list[Run], theirs_runs: list[Run]) -> None:
    load = os.getloadavg()[0]
    print(f"\ncrawl of the {pages:,}-page sample site served by nginx, concurrency {CONCURRENCY}")
    print(
        f"(load average {load:.1f} on {os.cpu_count()} cores; best of {len(ours_runs)} runs each)"
    )
    header = ("pages", 8), ("seconds", 9), ("pages/s", 9), ("CPU ms/page", 13), ("peak RSS MB", 13)
    print(f"{'tool':<12}" + "".join(f"{name:>{width}}" for name, width in header))
    for run in [*ours_runs, *theirs_runs]:
        mb = run.peak_rss / 2**20
        print(
            f"{run.tool:<12}{len(run.urls):>8,}{run.seconds:>9.1f}{run.rate:>9.1f}"
            f"{run.cpu_ms:>13.2f}{mb:>13.0f}"
        )
    ours = max(ours_runs, key=lambda r: r.rate)
    theirs = max(theirs_runs, key=lambda r: r.rate)
    speed = ours.rate / theirs.rate
    memory = max(r.peak_rss for r in ours_runs) / min(r.peak_rss for r in theirs_runs)
    efficiency = theirs.cpu_ms / ours.cpu_ms
    same = all(run.urls == theirs.urls for run in [*ours_runs, *theirs_runs])
    print(f"speed ratio    {speed:5.1f}x  (goal >= 10x)   {'PASS' if speed >= 10 else 'FAIL'}")
    print(f"memory ratio   {memory:5.2f}x  (goal <= 1x)    {'PASS' if memory <= 1 else 'FAIL'}")
    print(f"CPU per page   {efficiency:5.1f}x  less than advertools (not a goal; load-independent)")
    only_ours, only_theirs = len(ours.urls - theirs.urls), len(theirs.urls - ours.urls)
    print(
        f"same URLs      {same} ({only_ours} only marketloop, {only_theirs} only advertools)  "
        f"{'PASS' if same else 'FAIL'}"
    )


def report_big(run: Run, site: SampleSite | bigsite.Generated) -> None:
    mb = run.peak_rss / 2**20
    pages = len(run.urls)
    size, goal = next(((n, g) for n, g in BIG_GOALS_MB.items() if pages <= n), (0, 0))
    verdict = ("PASS" if mb < goal else "FAIL") if goal else "no goal above 1,000,000 pages"
    goals = ", ".join(f"{g:,} MB at {n:,} pages" for n, g in BIG_GOALS_MB.items())
    if run.stopped:
        print(f"\nstopped by BENCH_CRAWL_SECONDS after {run.seconds:.0f} s, before the end")
    print(
        f"\n{pages:,}-page crawl (site of {site_pages(site):,} pages; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores): {run.seconds:.1f} s, "
        f"{run.rate:.0f} pages/s, {run.cpu_ms:.2f} CPU ms/page, "
        f"peak RSS {mb:.0f} MB (goal < {goal:,} MB up to {size:,} pages)  {verdict}"
    )
    kind = "bench/bigsite.py" if isinstance(site, bigsite.Generated) else "the sample site"
    print(f"site: {kind}; peak RSS goals: under {goals}")
    if run.timeline:
        quarters = [run.timeline[min(len(run.timeline) - 1, len(run.timeline) * q // 4)]
                    for q in (1, 2, 3, 4)]  # fmt: skip
        steps = ", ".join(f"{t:.0f} s {rss / 2**20:.0f} MB" for t, rss in quarters)
        print(f"RSS through the run: {steps}")


def report_render(plain: Run, rendered: Run) -> None:
    print(f"\n{len(rendered.urls):,}-page crawl with and without --render js (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    for run, name in ((plain, "raw HTML"), (rendered, "--render js")):
        print(
            f"{name:<12}{len(run.urls):>6} pages{run.seconds:>8.1f} s{run.rate:>9.1f} pages/s"
            f"{run.cpu_ms:>9.1f} CPU ms/page{run.peak_rss / 2**20:>8.0f} MB peak RSS (tree)"
            f"{run.browser_rss / 2**20:>8.0f} MB of it the browser's"
        )


def report_javascript(url: str, plain: Run, rendered: Run, crawl: Path) -> None:
    """What rendering finds on the JavaScript section: pages reached only through links made
    by scripts, and the JavaScript checks' counts (none may fall outside the catalogue)."""
    from marketloop.audit.config import AuditSettings
    from marketloop.audit.engine import audit
    from marketloop.audit.registry import REGISTRY

    only = rendered.urls - plain.urls
    section = url + JS_SECTION.lstrip("/")
    print(
        f"found only by rendering: {len(only)} pages ({sum(u.startswith(section) for u in only)}"
        f" in {JS_SECTION}); without rendering: {len(plain.urls - rendered.urls)} pages missed"
    )
    checks = sorted(c for c in REGISTRY if REGISTRY[c].scope.startswith(RENDERED_SCOPE))
    result = audit(crawl, AuditSettings(), select=checks, save=False)
    for check in checks:
        urls = {i.url for i in result.issues if i.check == check}
        outside = sum(not u.startswith(section) for u in urls)
        print(f"  {check:<40}{len(urls):>5} pages   {outside} outside {JS_SECTION}")


def site_pages(site: SampleSite | bigsite.Generated) -> int:
    return site.pages if isinstance(site, bigsite.Generated) else site.page_count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nginx did not start on port {port}")


if __name__ == "__main__":
    main()
