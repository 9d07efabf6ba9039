"""Diagnose, part two: checks over a crawl dataset, severities, crawl diff."""
