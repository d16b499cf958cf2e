"""What Dagster loads: `dagster dev -m orchestration.definitions` from the project
root (`python3 scripts/dev.py dagster` does it). Loading parses the dbt project
when a project file changed since the last parse; importing does nothing."""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions, definitions
from dagster_dbt import DbtCliResource

from orchestration.assets import (
    ROOT,
    build_dbt_assets,
    build_freshness_check,
    build_publish_assets,
    dbt_executable,
    prepared_project,
    source_specs,
)
from orchestration.jobs import cadence_jobs, cadence_schedules


def build_definitions(project_dir: Path = ROOT) -> Definitions:
    """Assets, checks, jobs and schedules of the dbt project in project_dir."""
    project = prepared_project(project_dir)
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


@definitions
def defs() -> Definitions:
    return build_definitions()
