"""Dagster orchestration of the warehouse (issue #20): the dbt project as assets,
publish and dashboard downstream, one job and schedule per cadence.

    python3 scripts/dev.py dagster          # the UI on http://127.0.0.1:3000
    .venv/bin/dagster dev -m orchestration.definitions

`definitions.py` is what Dagster loads; `assets.py` holds the assets and checks,
`jobs.py` the jobs and schedules, `dagster.yaml` the instance settings that
`scripts/dev.py dagster` puts in DAGSTER_HOME.
"""
