"""Diagnose, part one: crawl a site into a crawl dataset (see `crawl/schema.py`)."""
