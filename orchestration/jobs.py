"""One job and one schedule per cadence of the tag marts (their dbt tags).

| job | when (WAREHOUSE_TIMEZONE) | dbt selection | then |
|---|---|---|---|
| daily | every day 02:00 | +tag:daily tag:operations | publish, dashboard |
| weekly | Monday 03:00 | +tag:weekly tag:operations | publish, dashboard |
| monthly | 1st of the month 04:00 | everything | publish, dashboard |

Each job checks the raw sources' freshness first. A tick runs the partition of its
own day (as_of_date = the tick's date); runs queue one at a time (dagster.yaml),
so a Monday's weekly run starts after that day's daily run.

On PostgreSQL and Spark (WAREHOUSE_TARGET) there is no publish nor dashboard, and
a job whose dbt selection holds int_clv_parameters (the weekly and monthly: ltv
and churn_risk are value tags, catalogue/tags/value.yml) also runs the CLV fit
asset and the grouped summaries it reads. Dagster splits the job's dbt build
around it (it subsets the dbt multi-asset when a non-dbt asset sits between its
nodes): everything not downstream of the fit, the fit, then int_clv_parameters
and everything downstream of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetKey,
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


def job_selection(
    dbt_assets: Sequence[Any],
    dbt_select: str,
    freshness_check: Any,
    clv_fit: Any | None,
    publishes: bool,
    views: Sequence[AssetKey] = (),
) -> AssetSelection:
    """Freshness, the dbt selection and `views` (those it would drop on
    PostgreSQL), the CLV fit when the selection reads it (with what the fit
    reads: dbt's graph has no edge from int_clv_spend_grouped to the scorers),
    then publish and dashboard."""
    dbt = AssetSelection.assets()
    for assets_def in dbt_assets:
        dbt = dbt | build_dbt_asset_selection([assets_def], dbt_select=dbt_select)
    selection = AssetSelection.checks(freshness_check) | dbt
    if views:
        selection = selection | AssetSelection.assets(*views)
    if clv_fit is not None:
        fit = AssetSelection.assets(clv_fit) & dbt.upstream(depth=1)
        selection = selection | fit | fit.upstream()
    if publishes:
        selection = selection | AssetSelection.assets(PUBLISHED, DASHBOARD)
    return selection


def cadence_jobs(
    dbt_assets: Sequence[Any],
    freshness_check: Any,
    clv_fit: Any | None = None,
    publishes: bool = True,
    dropped_views: Callable[[str], Sequence[AssetKey]] | None = None,
) -> list[UnresolvedAssetJobDefinition]:
    """The jobs of CADENCES: freshness, the dbt selection (with the views it
    drops, `dropped_views`, and the CLV fit asset where there is one and the
    selection reads it), publish, dashboard (when `publishes`: DuckDB)."""
    return [
        define_asset_job(
            name,
            selection=job_selection(
                dbt_assets,
                dbt_select,
                freshness_check,
                clv_fit,
                publishes,
                dropped_views(dbt_select) if dropped_views else (),
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
