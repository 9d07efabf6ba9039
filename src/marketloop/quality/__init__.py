"""The quality half of the measure stage: a dbt project shipped in the package (sources with
load and data freshness, staging models with schema tests, marts), run against the warehouse,
and a data health report whose history is kept in the warehouse's `marketloop_health` schema.

    dbt_project/    the dbt project (models, macros, generic tests); see docs/quality.md
    contract.py     the warehouse contract as data: tables, column types, merge keys
    config.py       [quality] settings: warehouse, freshness thresholds, anomaly rules
    warehouse.py    where the warehouse is; short-lived connections to it
    inventory.py    which tables exist, their row counts, columns and dlt loads
    dbt.py          generated profile, vars, dbtRunner invocations, artifacts
    results.py      dbt artifacts -> freshness, model and test results (pure)
    health.py       anomalies, schema changes, overall status (pure)
    history.py      the marketloop_health schema: record a run, read history
    run.py          `quality run`: inventory -> freshness -> build -> record
    report.py       the report document (pure); report_html.py renders it
    cli.py, demo.py the `quality` commands and the demo step
    sample.py       sample data of the contract's shape, loaded with dlt (demo, tests)
"""
