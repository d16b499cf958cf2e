"""What Dagster loads: `dagster dev -m orchestration.definitions` from the project
root (`python3 scripts/dev.py dagster` does it)."""

from __future__ import annotations

from dagster import Definitions
from dagster_dbt import DbtCliResource

from orchestration.assets import (
    build_dbt_assets,
    build_freshness_check,
    build_publish_assets,
    dbt_executable,
    prepared_project,
    source_specs,
)
from orchestration.jobs import cadence_jobs, cadence_schedules


def build_definitions() -> Definitions:
    """Assets, checks, jobs and schedules of the project as it is on disk (the
    dbt manifest is parsed again when a project file changed)."""
    project = prepared_project()
    dbt_assets = build_dbt_assets(project)
    freshness = build_freshness_check(project)
    jobs = cadence_jobs(dbt_assets, freshness)
    return Definitions(
        assets=[*source_specs(project), dbt_assets, *build_publish_assets(project)],
        asset_checks=[freshness],
        jobs=jobs,
        schedules=cadence_schedules(jobs),
        resources={
            "dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
        },
    )


defs = build_definitions()
