"""One job and one schedule per cadence of the tag marts (their dbt tags).

| job | when (WAREHOUSE_TIMEZONE) | dbt selection | then |
|---|---|---|---|
| daily | every day 02:00 | +tag:daily tag:operations | publish, dashboard |
| weekly | Monday 03:00 | +tag:weekly tag:operations | publish, dashboard |
| monthly | 1st of the month 04:00 | everything | publish, dashboard |

Each job checks the raw sources' freshness first. A tick runs the partition of its
own day (as_of_date = the tick's date); runs queue one at a time (dagster.yaml),
so a Monday's weekly run starts after that day's daily run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)
from dagster_dbt import build_dbt_asset_selection

from orchestration.assets import DAILY, DASHBOARD, PUBLISHED, TIMEZONE

if TYPE_CHECKING:  # what define_asset_job returns (not exported by dagster)
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

# (job name, dbt selection of its models, cron of its schedule, description)
CADENCES = (
    (
        "daily",
        "+tag:daily tag:operations",
        "0 2 * * *",
        "Raw freshness, the daily marts and everything upstream, their history,"
        " the operations tables, then publish and the dashboard.",
    ),
    (
        "weekly",
        "+tag:weekly tag:operations",
        "0 3 * * 1",
        "Raw freshness, the weekly (value) mart and everything upstream, its"
        " history, the operations tables, then publish and the dashboard.",
    ),
    (
        "monthly",
        "fqn:*",
        "0 4 1 * *",
        "Raw freshness, every seed, model and test, then publish and the dashboard.",
    ),
)


def cadence_jobs(
    dbt_assets: Any, freshness_check: Any
) -> list[UnresolvedAssetJobDefinition]:
    """The jobs of CADENCES: freshness, the dbt selection, publish, dashboard."""
    return [
        define_asset_job(
            name,
            selection=(
                AssetSelection.checks(freshness_check)
                | build_dbt_asset_selection([dbt_assets], dbt_select=dbt_select)
                | AssetSelection.assets(PUBLISHED, DASHBOARD)
            ),
            partitions_def=DAILY,
            description=description,
            tags={"cadence": name},
        )
        for name, dbt_select, _, description in CADENCES
    ]


def cadence_schedule(
    job: UnresolvedAssetJobDefinition, cron: str
) -> ScheduleDefinition:
    """Runs `job` for the day of each tick (the partition = as_of_date)."""

    @schedule(
        name=f"{job.name}_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        default_status=DefaultScheduleStatus.RUNNING,
    )
    def _schedule(context: ScheduleEvaluationContext) -> RunRequest:
        as_of_date = context.scheduled_execution_time.date().isoformat()
        return RunRequest(run_key=f"{job.name}-{as_of_date}", partition_key=as_of_date)

    return _schedule


def cadence_schedules(
    jobs: list[UnresolvedAssetJobDefinition],
) -> list[ScheduleDefinition]:
    crons = {name: cron for name, _, cron, _ in CADENCES}
    return [cadence_schedule(job, crons[job.name]) for job in jobs]
