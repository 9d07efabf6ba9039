"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright: what a person sees.

Never a downloaded browser. Under CI=true a missing Chromium fails the tests instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from marketloop.crawl.render import FLAGS  # the product's own Chromium flags

CHROMIUM = Path(os.environ.get("MARKETLOOP_TEST_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API runs an event loop in this thread while it is open,
    so it must be closed before other tests call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records console errors and refuses every network request but file://."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file://")
            else (page.errors.append(f"network: {route.request.url}"), route.abort())
        ),
    )
    yield page
    context.close()
