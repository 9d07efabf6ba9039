"""Every CLI command, as a recipe that draws hostile arguments and files for it.

A recipe gets hypothesis's `draw` and a `Context` (the workspace, clean inputs to spoil) and
returns the argv after `marketloop`. `EXEMPT` names the commands not fuzzed and why.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st
from tests.audit.builder import Site
from tests.fuzz.strategies import MOMENT, NUMBER, TEXT, document_bytes, file_bytes
from tests.hostile import FORMULA, MARKUP

from marketloop.plan.demo import example_plan_path

Draw = st.DrawFn
LOOP = Path(__file__).parents[2] / "examples" / "loops" / "demo.yaml"


@dataclass
class Context:
    """Inputs of one fuzzed command: its workspace and clean files to spoil."""

    root: Path
    ws: Path
    crawl: Path
    plan: Path = field(default_factory=example_plan_path)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def path(self, suffix: str = "") -> Path:
        folder = self.root / "in" / str(next(self._ids))
        folder.mkdir(parents=True)
        return folder / f"input{suffix}"

    def file(self, draw: Draw, *suffixes: str) -> str:
        path = self.path(draw(st.sampled_from(suffixes or (".csv",))))
        path.write_bytes(draw(file_bytes()))
        return str(path)

    def dataset(self, draw: Draw) -> str:
        """The clean crawl, or a copy spoilt the way disks and people spoil folders."""
        how = draw(st.sampled_from(["clean", "truncated", "manifest", "no-pages", "empty",
                                    "file", "missing", "text"]))  # fmt: skip
        if how == "clean":
            return str(self.crawl)
        copy = self.path()
        if how == "file":
            copy.write_bytes(draw(file_bytes()))
            return str(copy)
        if how == "missing":
            return str(copy / "nowhere")
        shutil.copytree(self.crawl, copy)
        part = copy / "pages" / "part-00000.parquet"
        if how == "truncated":
            part.write_bytes(part.read_bytes()[: draw(st.integers(0, part.stat().st_size - 1))])
        elif how == "manifest":
            (copy / "manifest.json").write_bytes(draw(document_bytes()))
        elif how == "no-pages":
            shutil.rmtree(copy / "pages")
        elif how == "empty":
            shutil.rmtree(copy)
            copy.mkdir()
        else:
            part.write_bytes(draw(file_bytes()))
        return str(copy)

    def loop_file(self, draw: Draw) -> str:
        """The demo loop with one value made hostile, or a document that is no loop file."""
        if draw(st.booleans()):
            path = self.path(".yaml")
            path.write_bytes(draw(document_bytes()))
            return str(path)
        text = LOOP.read_text()
        old = draw(st.sampled_from(["demo", "crawl", "audit", "needs", "retries", "0 6 * * MON"]))
        path = self.path(".yaml")
        new = draw(TEXT).replace("\\", "").replace('"', "")
        path.write_text(text.replace(old, f"{new}", 1), errors="surrogatepass")
        return str(path)

    def plan_file(self, draw: Draw) -> str:
        """The example plan with one value made hostile, or a document that is no plan."""
        if draw(st.booleans()):
            path = self.path(".yaml")
            path.write_bytes(draw(document_bytes()))
            return str(path)
        text = self.plan.read_text()
        old = draw(st.sampled_from(["AI Marketing", "2026-12-01", "day3", "America/", "16:30"]))
        path = self.path(".yaml")
        new = draw(TEXT).replace("\\", "").replace('"', "")
        path.write_text(text.replace(old, f"{new}", 1), errors="surrogatepass")
        return str(path)


def clean_crawl(folder: Path) -> Path:
    ops = [{"page": {"url": "/blog", "titles": [MARKUP], "h1": [FORMULA]}}]
    return Site.clean().apply(ops).write(folder)


def _fmt(draw: Draw) -> list[str]:
    return ["--format", draw(st.sampled_from(["table", "json", "csv", "html", "markdown", "x"]))]


def _out(draw: Draw, ctx: Context) -> list[str]:
    """No --out, or -o into a new file whose suffix may pick the format."""
    suffix = draw(st.sampled_from([None, ".json", ".csv", ".html", ".txt", ""]))
    return [] if suffix is None else ["-o", str(ctx.path(suffix))]


def _plan(draw: Draw, ctx: Context, *args: str) -> list[str]:
    plan = ctx.plan_file(draw) if draw(st.integers(0, 3)) == 0 else str(ctx.plan)
    return ["plan", *args, "--plan", plan, "--at", draw(MOMENT), *_fmt(draw)]


def _task(draw: Draw) -> str:
    return draw(st.one_of(st.sampled_from(["day3", "day7", "day6", "bl-1"]), TEXT))


Recipe = Callable[[Draw, Context], list[str]]
RECIPES: dict[str, Recipe] = {
    "crawl": lambda d, c: ["crawl", d(st.one_of(TEXT, TEXT.map(lambda t: f"http://{t}/"))),
                           "--max-urls", d(NUMBER), "--max-depth", d(NUMBER),
                           "--timeout", d(NUMBER), "--include", d(TEXT),
                           "--render", d(st.one_of(st.just("none"), TEXT))],
    "audit": lambda d, c: ["audit", c.dataset(d), *_fmt(d), "--threshold", d(TEXT),
                           "--limit", d(NUMBER), "--check", d(TEXT), "-s", d(TEXT), *_out(d, c)],
    "crawl-diff": lambda d, c: ["crawl-diff", c.dataset(d), c.dataset(d), "--limit", d(NUMBER),
                                *_fmt(d), *_out(d, c)],
    "crawl-export": lambda d, c: ["crawl-export", c.dataset(d),
                                  d(st.sampled_from(["pages", "links", "extractions", "x"])),
                                  *_fmt(d)],
    "ingest ga4": lambda d, c: ["ingest", "ga4", "--property", d(TEXT), "--start", d(MOMENT),
                                "--end", d(MOMENT)],
    "ingest gsc": lambda d, c: ["ingest", "gsc", "--site", d(TEXT), "--start", d(MOMENT)],
    "ingest hubspot": lambda d, c: ["ingest", "hubspot", "--object", d(TEXT)],
    "ingest file": lambda d, c: ["ingest", "file", c.file(d, ".csv", ".tsv", ".json", ".jsonl",
                                                          ".parquet", ".xlsx"),
                                 "--table", d(st.one_of(st.just("kw"), TEXT))],
    "ingest crawl": lambda d, c: ["ingest", "crawl", c.dataset(d)],
    "quality run": lambda d, c: ["quality", "run", *_fmt(d)],
    "quality report": lambda d, c: ["quality", "report", *_fmt(d), *_out(d, c)],
    "keywords cluster": lambda d, c: ["keywords", "cluster", c.file(d, ".csv", ".tsv", ".txt"),
                                      "--mode", d(st.sampled_from(["lexical", "serp", "x"])),
                                      "--threshold", d(NUMBER), *_fmt(d), *_out(d, c)],
    "keywords gaps": lambda d, c: ["keywords", "gaps", c.file(d), "--crawl", c.dataset(d),
                                   "--mode", "lexical"],
    "briefs generate": lambda d, c: ["briefs", "generate", "--clusters", c.file(d, ".json"),
                                     "--out", str(c.path()), "--provider", "offline"],
    "briefs ledger": lambda d, c: ["briefs", "ledger", "--run", d(TEXT), *_fmt(d)],
    "briefs publish": lambda d, c: ["briefs", "publish", str(c.path()), "--to", d(TEXT)],
    "eval run": lambda d, c: ["eval", "run", c.file(d, ".yaml", ".json", ".yml"),
                              "--provider", "offline", "--prompt", d(TEXT)],
    "eval compare": lambda d, c: ["eval", "compare", d(TEXT), *_fmt(d)],
    "eval decide": lambda d, c: ["eval", "decide", "--suite", c.file(d, ".yaml", ".json"),
                                 "--run", d(TEXT), *_fmt(d)],
    "tune review": lambda d, c: ["tune", "review", d(TEXT), "--by", d(TEXT), "--note", d(TEXT)],
    "tune dataset": lambda d, c: ["tune", "dataset", "--out", str(c.path(".jsonl")),
                                  "--briefs", c.file(d, ".json", ""), "--since", d(MOMENT),
                                  "--epochs", d(NUMBER), "--no-notion"],
    "tune status": lambda d, c: ["tune", "status", d(TEXT), *_fmt(d)],
    "tune cancel": lambda d, c: ["tune", "cancel", d(TEXT)],
    "notion check": lambda d, c: ["notion", "check", "--database-id", d(TEXT)],
    "notion setup": lambda d, c: ["notion", "setup", "--database-id", d(TEXT)],
    "webhooks deliveries": lambda d, c: ["webhooks", "deliveries", "--limit", d(NUMBER)],
    "plan show": lambda d, c: [*_plan(d, c, "show"), *_out(d, c)],
    "plan status": lambda d, c: [*_plan(d, c, "status"), *_out(d, c)],
    "plan escalations": lambda d, c: _plan(d, c, "escalations"),
    "plan memo": lambda d, c: [*_plan(d, c, "memo"), *_out(d, c)],
    "plan export": lambda d, c: [*_plan(d, c, "export"), *_out(d, c)],
    "plan triage": lambda d, c: [*_plan(d, c, "triage"), "--capacity", d(NUMBER)],
    "plan log": lambda d, c: ["plan", "log", "--plan", c.plan_file(d), *_fmt(d), *_out(d, c)],
    "plan slip": lambda d, c: [*_plan(d, c, "slip", _task(d)), "--days", d(NUMBER),
                               "--reason", d(TEXT)],
    "plan block": lambda d, c: [*_plan(d, c, "block", _task(d)), "--reason", d(TEXT)],
    "plan unblock": lambda d, c: [*_plan(d, c, "unblock", _task(d)), "--reason", d(TEXT)],
    "plan done": lambda d, c: _plan(d, c, "done", _task(d)),
    "plan rebaseline": lambda d, c: [*_plan(d, c, "rebaseline"), "--reason", d(TEXT)],
    "plan retract": lambda d, c: [*_plan(d, c, "retract", d(NUMBER)), "--reason", d(TEXT)],
    "plan ack": lambda d, c: [*_plan(d, c, "ack", d(st.one_of(st.sampled_from(["dcbb", "ml-0"]),
                                                              TEXT))), "--by", d(TEXT)],
    "briefs live": lambda d, c: ["briefs", "live", d(TEXT), "--url", d(TEXT), "--at", d(MOMENT),
                                 "--briefs", c.file(d, ".json", ""), *_fmt(d)],
    "briefs performance": lambda d, c: ["briefs", "performance", *_fmt(d),
                                        *d(st.sampled_from([[], ["--weekly"]]))],
    "briefs decaying": lambda d, c: ["briefs", "decaying", *_fmt(d)],
    "quality docs": lambda d, c: ["quality", "docs", "--out", str(c.path(".html"))],
    "loop check": lambda d, c: ["loop", "check", c.loop_file(d), *_fmt(d)],
    "loop run": lambda d, c: ["loop", "run", c.loop_file(d),  # queued: no worker runs it
                              *d(st.sampled_from([[], ["--step", d(TEXT)]])), *_fmt(d)],
    "loop status": lambda d, c: ["loop", "status", d(TEXT), *_fmt(d)],
    "loop history": lambda d, c: ["loop", "history", "--loop", d(TEXT), "--limit", d(NUMBER),
                                  "--starting-after", d(TEXT), *_fmt(d)],
    "loop cancel": lambda d, c: ["loop", "cancel", d(TEXT), *_fmt(d)],
    "loop approve": lambda d, c: ["loop", "approve", d(TEXT), d(TEXT), *_fmt(d)],
    "loop actions": lambda d, c: ["loop", "actions", *_fmt(d), *_out(d, c)],
    "keys create": lambda d, c: ["keys", "create", "--name", d(TEXT), "--scope", d(TEXT),
                                 "--expires", d(TEXT), *_fmt(d)],
    "keys list": lambda d, c: ["keys", "list", *_fmt(d)],
    "keys revoke": lambda d, c: ["keys", "revoke", d(NUMBER)],
    "keys audit": lambda d, c: ["keys", "audit", "--limit", d(NUMBER), *_fmt(d)],
    "users create": lambda d, c: ["users", "create", d(TEXT), "--role", d(TEXT),
                                  "--password-stdin"],
    "users list": lambda d, c: ["users", "list", *_fmt(d), *_out(d, c)],
    "tickets sync": lambda d, c: ["tickets", "sync", "--to", d(st.sampled_from(["jira", "x"])),
                                  "--project", d(TEXT), "--crawl", c.dataset(d),
                                  "--min-severity", d(TEXT), "--dry-run", *_fmt(d)],
    "integrations check": lambda d, c: ["integrations", "check", *_fmt(d)],
    "users disable": lambda d, c: ["users", "disable", d(TEXT)],
    "backup": lambda d, c: ["backup", d(st.sampled_from([str(c.path()), c.file(d, ".json", "")]))],
    "restore": lambda d, c: ["restore", d(st.sampled_from([c.file(d, ".json", ""),
                                                          _backup_dir(d, c)]))],
}  # fmt: skip


def _backup_dir(draw: Draw, c: Context) -> str:
    """A folder with a hostile backup index."""
    folder = c.path()
    folder.mkdir()
    (folder / "backup.json").write_bytes(draw(file_bytes()))
    return str(folder)


#: commands whose work may fail after it began, leaving what it made (exit 3, said in the message)
KEEPS_ON_FAILURE = {
    "crawl": "a crawl that ran keeps its dataset: the errors it met are the evidence (exit 3 "
    "names the folder), and --resume continues it",
}
EXEMPT = {
    "tune start": "starts a fine-tuning job (hosted or a local LoRA run): its argument checks "
    "are in tests/content; fuzzing would train models",
    "tune serve": "serves a model until stopped; its usage errors are in tests/content",
    "demo": "takes no input: it generates its own sample site and data (tests/test_cli.py)",
    "webhooks test": "sends to the URL it is given; its URL checks are in tests/integrations",
    "loop demo": "takes no input: it serves the sample site and fakes and runs the demo loop "
    "(tests/runner/test_demo.py)",
    "worker": "consumes the queue until stopped; its refusals (bad loop files, unreachable Redis) "
    "are in tests/runner",
    "serve": "serves HTTP until stopped; its refusals are in tests/api/test_serve.py",
    "smoke": "sends requests to the URL it is given; its URL checks, results and JUnit XML are in "
    "tests/observe/test_smoke.py",
    "stack up": "starts four servers until `stack down`; tests/observe/test_stack.py runs it",
    "stack down": "signals the process groups of the pids in DIR/stack.json: hostile pids would "
    "signal real processes; tests/observe/test_stack.py runs it",
}
