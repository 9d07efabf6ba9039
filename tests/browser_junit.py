"""JUnit XML of the browser tests (the `browser` marker: Playwright on Chromium), for CI to
keep: `pytest --browser-junit PATH` (`make test` writes reports/browser-junit.xml). One
testcase per test, its setup, call and teardown together: a failure or error in any phase is a
failure, a skip is a skip. Written by marketloop.observe.smoke.junit_suite, like the smoke
script's."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketloop.observe.smoke import Check, Outcome, junit_suite

MARKER = "browser"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--browser-junit",
        metavar="PATH",
        default=None,
        help="write the results of the browser-marked tests as JUnit XML to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("--browser-junit")
    if given:  # relative to where pytest started: tests chdir into their tmp_path
        path = Path(config.invocation_params.dir, given).resolve()
        config.pluginmanager.register(BrowserJunit(path), "browser-junit")


class BrowserJunit:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[str, tuple[Outcome, str, float]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if MARKER not in report.keywords:
            return
        outcome, detail, seconds = self.seen.get(report.nodeid, ("pass", "", 0.0))
        seconds += report.duration
        if report.failed and outcome != "fail":
            phase = "" if report.when == "call" else f" (in {report.when})"
            outcome, detail = "fail", report.longreprtext[-2000:] + phase
        elif report.skipped and outcome == "pass":
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
            outcome, detail = "skip", str(reason)
        self.seen[report.nodeid] = (outcome, detail, seconds)

    def pytest_sessionfinish(self) -> None:
        results = [Check(node, *result) for node, result in self.seen.items()]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(
            junit_suite(results, "marketloop browser tests", "marketloop.browser")
        )
