"""`pytest --browser-junit PATH` (tests/browser_junit.py): the browser-marked tests, and only
they, as JUnit XML, with failures in any phase, errors and skips counted."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SUITE = """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("no browser <script>&")

@pytest.mark.browser
def test_page_renders():
    assert True

@pytest.mark.browser
def test_page_fails():
    assert 1 == 2, "=HYPERLINK(1)"

@pytest.mark.browser
def test_setup_error(broken):
    pass

@pytest.mark.browser
def test_skipped():
    pytest.skip("no chromium here")

def test_not_a_browser_test():
    assert True
"""


def test_browser_tests_are_written_as_junit_xml(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_pages=SUITE)
    out = Path("reports") / "browser.xml"  # relative to where pytest starts
    result = pytester.runpytest(
        "-p",
        "tests.browser_junit",
        f"--browser-junit={out}",
        "-o",
        "markers=browser: b",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    result.assert_outcomes(passed=2, failed=1, errors=1, skipped=1)
    suite = ET.parse(pytester.path / out).getroot()
    assert suite.get("name") == "marketloop browser tests"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "2", "1")
    cases = {case.get("name", "").split("::")[-1]: case for case in suite.iter("testcase")}
    assert set(cases) == {"test_page_renders", "test_page_fails", "test_setup_error",
                          "test_skipped"}  # fmt: skip
    assert cases["test_page_renders"].find("failure") is None
    fails = cases["test_page_fails"].find("failure")
    assert fails is not None and "=HYPERLINK(1)" in (fails.get("message") or "")
    setup = cases["test_setup_error"].find("failure")
    assert setup is not None and "(in setup)" in (setup.get("message") or "")
    assert "<script>&" in (setup.get("message") or "")  # escaped by the XML writer, kept whole
    skipped = cases["test_skipped"].find("skipped")
    assert skipped is not None and "no chromium here" in (skipped.get("message") or "")


def test_without_the_option_nothing_is_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_pages=SUITE)
    pytester.runpytest(
        "-p",
        "tests.browser_junit",
        "-o",
        "markers=browser: b",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    assert not list(pytester.path.rglob("*.xml"))
