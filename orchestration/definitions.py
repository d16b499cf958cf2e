"""What Dagster loads: `dagster dev -m orchestration.definitions` from the project
root (`python3 scripts/dev.py dagster` does it). Loading parses the dbt project
for the target WAREHOUSE_TARGET (default duckdb) when a project file changed
since the last parse; importing does nothing."""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions, definitions

from orchestration.assets import (
    DUCKDB,
    ROOT,
    WarehouseDbtCli,
    build_clv_fit_asset,
    build_dbt_assets,
    build_freshness_check,
    build_publish_assets,
    dbt_executable,
    engine_type,
    prepared_project,
    source_specs,
    views_dropped_with,
    warehouse_target,
)
from orchestration.jobs import cadence_jobs, cadence_schedules


def build_definitions(project_dir: Path = ROOT) -> Definitions:
    """Assets, checks, jobs and schedules of the dbt project in project_dir, on
    the dbt target WAREHOUSE_TARGET. On DuckDB the publish and the dashboard
    follow the marts; on PostgreSQL and Spark readers read the engine's marts
    (no Parquet publish) and the CLV fit is an asset of its own."""
    target = warehouse_target()
    project = prepared_project(project_dir, target)
    dbt_assets = build_dbt_assets(project)
    freshness = build_freshness_check(project)
    clv_fit = build_clv_fit_asset(project, target)
    publishes = engine_type(project) == DUCKDB
    jobs = cadence_jobs(
        dbt_assets,
        freshness,
        clv_fit,
        publishes,
        lambda dbt_select: views_dropped_with(project, dbt_select),
    )
    return Definitions(
        assets=[
            *source_specs(project),
            *dbt_assets,
            *([clv_fit] if clv_fit is not None else []),
            *(build_publish_assets(project) if publishes else []),
        ],
        asset_checks=[freshness],
        jobs=jobs,
        schedules=cadence_schedules(jobs),
        resources={
            "dbt": WarehouseDbtCli(
                project_dir=project, dbt_executable=dbt_executable(), target=target
            )
        },
    )


@definitions
def defs() -> Definitions:
    return build_definitions()
