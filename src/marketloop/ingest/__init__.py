"""Measure, part one: load GA4, Search Console, HubSpot, files and the latest crawl into the
warehouse with dlt (see docs/ingest.md and docs/warehouse.md).

    config.py          settings: [warehouse], [google], [ga4], [gsc], [hubspot]
    http.py pacing.py  the HTTP edge: retries honouring Retry-After, pacing, credential errors
    google_auth.py     google-auth credentials: key/user files, ADC, impersonation, a token
    google_files.py    a Google credentials file, loaded by its declared type
    sources.py         the public dlt sources: ga4(), gsc(), hubspot() (docs/dlt-sources.md)
    cursors.py         dlt.sources.incremental date cursors (lookback as lag, backfills)
    paging.py          dlt's REST paginators driven through the HTTP edge
    windows.py         date windows and the CLI's date spellings
    ga4.py gsc.py      Google sources: typed rows, paging, incremental date windows
    hubspot.py         HubSpot CRM v3: list first, then search (hubspot_search.py) on the
                       modified date; records as typed rows (hubspot_rows.py)
    files.py           CSV, Parquet, JSON and JSONL exports as a named table
    crawl_load.py      the latest crawl dataset as crawl.pages and crawl.issues
    pipeline.py        one dlt pipeline per dataset: extract all, then load; errors unwrapped
    stats.py jobs.py   what a run did; one function per command (CLI, demo, runner)
    cli.py demo.py     the `ingest` command group and the demo step

This package imports nothing heavy at import time: `marketloop.config` imports its settings.
"""
