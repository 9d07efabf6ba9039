"""Generated sample data for the demo, the tests and the benchmarks.

`SampleSite` (see `sample/site.py`) is the marketing site with seeded defects; other stages keep
their sample data beside it (`sample/keywords.py`). The site's classes load on first use, so
importing a sibling module does not start aiohttp and the TLS machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marketloop.sample.site import RunningSite, SampleSite, SeededDefect

__all__ = ["RunningSite", "SampleSite", "SeededDefect"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from marketloop.sample import site

        return getattr(site, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
