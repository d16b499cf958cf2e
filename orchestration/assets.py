"""The warehouse as Dagster assets.

- every dbt model and seed is an asset of one `@dbt_assets` definition
  (dagster-dbt), its dbt tests are asset checks; one run is one `dbt build` of the
  selected nodes with `as_of_date` = the run's partition (a day);
- the raw sources are external assets with one blocking check each, computed by
  `dbt source freshness`: a stale export stops every dbt asset after it;
- `published_marts` (tag_warehouse/publish.py) and `dashboard`
  (tag_warehouse/report.py) come after the marts, so a failed dbt node, test or
  freshness check leaves readers on the last good version.
"""

import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset_check,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from filelock import FileLock

from tag_warehouse.publish import (
    REFERENCE_TABLES,
    current_version_dir,
    default_publish_dir,
    publish,
)
from tag_warehouse.report import LANGUAGES, write_report

ROOT = Path(__file__).resolve().parent.parent
# Every run of a job is one day: the partition key is the dbt var as_of_date. The
# first day that can be built or backfilled; the last one is today (end_offset=1),
# so the schedule's tick of a day builds that day, as a plain `dbt build` does.
FIRST_AS_OF_DATE = "2025-01-01"
# Days and schedules in the warehouse's time zone (profiles.yml: WAREHOUSE_TIMEZONE).
TIMEZONE = os.environ.get("WAREHOUSE_TIMEZONE", "UTC")
DAILY = DailyPartitionsDefinition(
    start_date=FIRST_AS_OF_DATE, end_offset=1, timezone=TIMEZONE
)
# Extra dbt vars for every run (raw_data_path, thresholds), as YAML like --vars.
DBT_VARS_ENV = "WAREHOUSE_DBT_VARS"
FRESHNESS_CHECK = "dbt_source_freshness"
PUBLISHED = AssetKey("published_marts")
DASHBOARD = AssetKey("dashboard")
# Files whose change changes the dbt manifest (the parse is redone when one is
# newer than it).
_PROJECT_INPUTS = ("models", "macros", "seeds", "tests", "analyses")
_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md", ".py"}


def under_root(path: str) -> Path:
    """A path of the environment, relative ones from the project root (where dbt
    runs), as every documented command does."""
    return Path(path) if Path(path).is_absolute() else ROOT / path


def dbt_executable() -> str:
    """dbt of this Python's environment (`.venv/bin/dbt`), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise RuntimeError(
            f"no dbt executable beside {sys.executable} nor on PATH: install the"
            " project's requirements (python3 scripts/dev.py setup)"
        )
    return found


def dbt_target_dir(project_dir: Path = ROOT) -> Path:
    """dbt's target folder (DBT_TARGET_PATH, else target/ of the project);
    dagster-dbt writes one folder per invocation inside it."""
    target = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    return target if target.is_absolute() else project_dir / target


def _newest_project_change(project_dir: Path) -> float:
    stamps = [(project_dir / "dbt_project.yml").stat().st_mtime]
    for folder in _PROJECT_INPUTS:
        stamps += [
            path.stat().st_mtime
            for path in (project_dir / folder).rglob("*")
            if path.suffix in _PROJECT_SUFFIXES and path.is_file()
        ]
    return max(stamps)


def prepared_project(project_dir: Path = ROOT) -> DbtProject:
    """The dbt project with a manifest no older than its files (`dbt parse` into
    <target>/dagster when missing or stale, under a lock for concurrent loads)."""
    project = DbtProject(
        project_dir=project_dir, target_path=dbt_target_dir(project_dir) / "dagster"
    )
    manifest = project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(manifest.parent / ".parse.lock")):
        newest = _newest_project_change(project_dir)
        if manifest.exists() and manifest.stat().st_mtime >= newest:
            return project
        invocation = DbtCliResource(
            project_dir=project, dbt_executable=dbt_executable()
        ).cli(["parse", "--quiet"], target_path=project.target_path)
        invocation.wait()
    return project


class WarehouseTranslator(DagsterDbtTranslator):
    """dbt nodes grouped by layer: raw, staging, intermediate, history, semantic,
    seeds, and the marts by their folder (marts_customer_tags,
    marts_operations, marts_audiences: one graph of every mart is too large to
    read). The dbt tags, e.g. the cadence, become Dagster tags."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return "raw"
        if resource_type == "model":
            fqn = dbt_resource_props["fqn"]
            if fqn[1] == "marts" and len(fqn) > 3:
                return f"marts_{fqn[2]}"
            return fqn[1]
        return f"{resource_type}s"


TRANSLATOR = WarehouseTranslator()


def dbt_vars(as_of_date: str | None) -> dict[str, Any]:
    """The --vars of a run: WAREHOUSE_DBT_VARS, and as_of_date from the partition."""
    text = os.environ.get(DBT_VARS_ENV, "").strip()
    extra = yaml.safe_load(text) if text else {}
    if not isinstance(extra, dict):
        raise Failure(
            f"{DBT_VARS_ENV} must be a YAML mapping of dbt vars, e.g."
            f" '{{raw_data_path: /data/crm}}', got {text!r}: fix the variable and"
            " restart Dagster"
        )
    if "as_of_date" in extra:
        raise Failure(
            f"{DBT_VARS_ENV} sets as_of_date, but the run's day (its partition) is"
            " the as_of_date: remove it from the variable and launch that day's"
            " partition instead"
        )
    return {**extra, **({"as_of_date": as_of_date} if as_of_date else {})}


def _run_partition(context: AssetCheckExecutionContext) -> str | None:
    return context.run.tags.get("dagster/partition")


def build_dbt_assets(project: DbtProject) -> Any:
    """Every model and seed of the project (tests as checks)."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name="warehouse_dbt",
        partitions_def=DAILY,
        # One run per day: a run is one as_of_date (its history slice).
        backfill_policy=BackfillPolicy.multi_run(1),
        dagster_dbt_translator=TRANSLATOR,
    )
    def warehouse_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
        arguments = ["build", "--vars", json.dumps(dbt_vars(context.partition_key))]
        yield from dbt.cli(arguments, context=context).stream()

    return warehouse_dbt


def _manifest(project: DbtProject) -> dict[str, Any]:
    return json.loads(project.manifest_path.read_text(encoding="utf-8"))


def source_specs(project: DbtProject) -> list[AssetSpec]:
    """The raw tables as external assets (files written by the CRM export)."""
    return [
        AssetSpec(
            TRANSLATOR.get_asset_key(props),
            description=props.get("description") or None,
            group_name="raw",
            kinds={"duckdb"},
        )
        for props in _manifest(project)["sources"].values()
    ]


def _has_freshness(props: Mapping[str, Any]) -> bool:
    freshness = props.get("freshness") or {}
    return any(
        (freshness.get(bound) or {}).get("count")
        for bound in ("warn_after", "error_after")
    )


def _freshness_message(result: Mapping[str, Any], props: Mapping[str, Any]) -> str:
    name = f"{props['source_name']}.{props['name']}"
    status = result["status"]
    criteria = result.get("criteria") or {}
    bounds = ", ".join(
        f"{bound.replace('_', ' ')} {rule['count']} {rule['period']}s"
        for bound in ("warn_after", "error_after")
        if (rule := criteria.get(bound) or {}).get("count")
    )
    if status == "runtime error":
        return (
            f"{name}: dbt source freshness failed: {result.get('message')}. Check the"
            f" raw file of {props['name']} in raw_data_path."
        )
    age = float(result["max_loaded_at_time_ago_in_s"]) / 3600
    text = (
        f"{name}: newest timestamp {result['max_loaded_at']} is {age:.1f} hours old"
        f" ({bounds})"
    )
    if status == "pass":
        return text
    return (
        f"{text}: the CRM export of {props['name']} has stopped arriving. Check that"
        f" a new {props['name']} file reaches raw_data_path, or raise"
        " raw_freshness_warn_after_hours / raw_freshness_error_after_hours"
        f" ({DBT_VARS_ENV}) if it is meant to be this old."
    )


def build_freshness_check(project: DbtProject) -> Any:
    """One blocking check per raw source with a freshness rule: an error stops
    the dbt assets (and so the publish) of the run; a warning does not."""
    sources = {
        unique_id: props
        for unique_id, props in _manifest(project)["sources"].items()
        if _has_freshness(props)
    }
    specs = [
        AssetCheckSpec(
            FRESHNESS_CHECK,
            asset=TRANSLATOR.get_asset_key(props),
            blocking=True,
            description=(
                "dbt source freshness: the newest parsed timestamp in the file is"
                " younger than raw_freshness_error_after_hours (warning after"
                " raw_freshness_warn_after_hours)."
            ),
        )
        for props in sources.values()
    ]

    @multi_asset_check(
        specs=specs, name="raw_source_freshness", can_subset=False, compute_kind="dbt"
    )
    def raw_source_freshness(
        context: AssetCheckExecutionContext, dbt: DbtCliResource
    ) -> Iterator[AssetCheckResult]:
        arguments = ["source", "freshness"]
        arguments += ["--vars", json.dumps(dbt_vars(_run_partition(context)))]
        invocation = dbt.cli(arguments, raise_on_error=False)
        invocation.wait()
        results_file = invocation.target_path / "sources.json"
        if not results_file.exists():
            # It stopped before any source (a var or a raw file is wrong): dbt's
            # own messages say which.
            raise invocation.get_error() or Failure(
                f"dbt source freshness wrote no results: see {invocation.target_path}"
            )
        results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
        for result in results:
            props = sources.get(result["unique_id"])
            if props is None:
                continue
            status = result["status"]
            yield AssetCheckResult(
                asset_key=TRANSLATOR.get_asset_key(props),
                check_name=FRESHNESS_CHECK,
                passed=status == "pass",
                severity=(
                    AssetCheckSeverity.WARN
                    if status == "warn"
                    else AssetCheckSeverity.ERROR
                ),
                description=_freshness_message(result, props),
                metadata={
                    "status": status,
                    "max_loaded_at": str(result.get("max_loaded_at")),
                    "age_hours": float(result.get("max_loaded_at_time_ago_in_s") or 0)
                    / 3600,
                },
            )

    return raw_source_freshness


def published_deps(project: DbtProject) -> list[AssetKey]:
    """What a publish exports: every mart and the label and registry seeds."""
    seeds = {name for _, name in REFERENCE_TABLES}
    return [
        TRANSLATOR.get_asset_key(props)
        for props in _manifest(project)["nodes"].values()
        if (props["resource_type"] == "model" and props["fqn"][1] == "marts")
        or (props["resource_type"] == "seed" and props["name"] in seeds)
    ]


def warehouse_path() -> Path:
    """The warehouse dbt builds (WAREHOUSE_DB, as profiles.yml reads it)."""
    return under_root(os.environ.get("WAREHOUSE_DB", "warehouse.duckdb"))


def publish_path() -> Path:
    """The publish folder (WAREHOUSE_PUBLISH_DIR, else published/)."""
    return under_root(str(default_publish_dir()))


def build_publish_assets(project: DbtProject) -> list[Any]:
    """published_marts after the marts, dashboard after published_marts."""

    @asset(
        key=PUBLISHED,
        deps=published_deps(project),
        partitions_def=DAILY,
        backfill_policy=BackfillPolicy.multi_run(1),
        group_name="publish",
        kinds={"parquet"},
        description=(
            "The marts exported as a new immutable Parquet version, readers switched"
            " to it (tag_warehouse/publish.py, docs/bi.md). Runs only after every"
            " dbt node and test of the run passed."
        ),
    )
    def published_marts(context: AssetExecutionContext) -> MaterializeResult:
        result = publish(warehouse_path(), publish_path())
        context.log.info(f"published version {result.version} to {result.path}")
        return MaterializeResult(
            metadata={
                "version": result.version,
                "path": MetadataValue.path(str(result.path)),
                "serving_db": MetadataValue.path(str(result.serving_db)),
                "rows": MetadataValue.json(result.row_counts),
            }
        )

    @asset(
        key=DASHBOARD,
        deps=[PUBLISHED],
        partitions_def=DAILY,
        backfill_policy=BackfillPolicy.multi_run(1),
        group_name="publish",
        kinds={"html"},
        description=(
            "The static dashboard of the current published version, one page per"
            " language, in the publish folder (tag_warehouse/report.py)."
        ),
    )
    def dashboard(context: AssetExecutionContext) -> MaterializeResult:
        version_dir = current_version_dir(publish_path())
        pages = {}
        for lang in LANGUAGES:
            page = publish_path() / f"dashboard_{lang}.html"
            write_report(version_dir, page, lang)
            pages[f"dashboard_{lang}"] = MetadataValue.path(str(page))
        context.log.info(f"dashboard of version {version_dir.name}: {pages}")
        return MaterializeResult(metadata={"version": version_dir.name, **pages})

    return [published_marts, dashboard]
