"""The generated sample site (see `sample/site.py`): a marketing site with seeded defects."""

from marketloop.sample.site import RunningSite, SampleSite, SeededDefect

__all__ = ["RunningSite", "SampleSite", "SeededDefect"]
