"""The quality half of the measure stage: a dbt project shipped in the package (sources with
freshness, staging models with schema tests, marts), run against the warehouse, and a data health
report with history kept in the warehouse's `marketloop_health` schema.

    dbt_project/   the dbt project (models, macros, generic tests)
    config.py      [quality] settings: warehouse, freshness thresholds, anomaly rules
    warehouse.py   where the warehouse is; short-lived connections to it
    inventory.py   which source tables exist, row counts and columns
    dbt.py         profiles, vars and dbtRunner invocations; artifacts parsed into results
    health.py      pure rules: anomalies, schema changes, overall status
    history.py     the marketloop_health schema: record a run, read history
    run.py         `quality run`: inventory -> freshness -> build -> record
    report.py      the data health report (JSON and HTML)
    sample.py      small sample data loaded with dlt (demo, tests)
"""
