"""The warehouse as Dagster assets.

- every dbt model and seed is an asset of one `@dbt_assets` definition
  (dagster-dbt), its dbt tests are asset checks; one run is one `dbt build` of the
  selected nodes with `as_of_date` = the run's partition (a day);
- the raw sources are external assets with one blocking check each, computed by
  `dbt source freshness`: a stale export stops every dbt asset after it;
- `published_marts` (tag_warehouse/publish.py) and `dashboard`
  (tag_warehouse/report.py) come after the marts, so a failed dbt node, test or
  freshness check leaves readers on the last good version (DuckDB only: they
  export the DuckDB file);
- on an engine that runs no dbt Python models (WAREHOUSE_TARGET postgres or
  spark), the CLV fit is the asset `raw/clv_models_fitted`
  (tag_warehouse/clv_engine.py) between the grouped summaries and
  int_clv_parameters; Dagster then runs the dbt build of a job in two steps
  around it.
"""

import contextlib
import functools
import json
import os
import shutil
import sys
import time
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
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.utils import select_unique_ids
from dbt.version import __version__ as dbt_core_version
from filelock import FileLock
from packaging.version import Version

from tag_warehouse.clv_engine import (
    AFTER_FIT_SELECTION,
    FIT_READERS,
    EngineFitError,
    fit_on_engine,
)
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
# The dbt target of every run (profiles.yml reads the same variable).
TARGET_ENV = "WAREHOUSE_TARGET"
DUCKDB = "duckdb"
DEFAULT_TARGET = DUCKDB
# The client-side CLV fit (engines without dbt Python models): the table it
# writes, raw_schema.clv_models_fitted, named as dagster-dbt names a model
# (schema, name); its check mirrors DuckDB's dbt test of int_clv_models_fitted.
CLV_FIT = AssetKey(["raw", "clv_models_fitted"])
CLV_FIT_CHECK = "clv_model_fit_failed"
# What the fit reads (the dbt tag clv_fit_inputs): the grouped summaries of the
# scoring fit and of the backtest's calibration fit.
CLV_FIT_INPUTS = (
    "int_clv_purchases_grouped",
    "int_clv_spend_grouped",
    "int_clv_calibration_purchases_grouped",
    "int_clv_calibration_spend_grouped",
)
# The dbt Python model that fits on DuckDB; disabled where the client fit runs.
CLV_FIT_MODEL = "int_clv_models_fitted"
UNIT_TESTS_OFF = ["--exclude-resource-type", "unit_test"]
# Engines where dbt replacing a table or view drops the views built on it (the
# old relation goes with `drop ... cascade`: PostgreSQL views bind to tables).
CASCADING_ENGINES = {"postgres"}
INDIRECT_SELECTION_ENV = "DBT_INDIRECT_SELECTION"
# dbt's saved parse in a target folder (reused when nothing it depends on changed).
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# Files whose change changes the dbt manifest (the parse is redone when one is
# newer than it).
_PROJECT_INPUTS = ("models", "macros", "seeds", "tests", "analyses")
_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md", ".py"}


def under_root(path: str) -> Path:
    """A path of the environment, relative ones from the project root (where dbt
    runs), as every documented command does."""
    return Path(path) if Path(path).is_absolute() else ROOT / path


# dbt of this Python's environment (`.venv/bin/dbt`).
DBT_BESIDE_PYTHON = Path(sys.executable).parent / "dbt"


def dbt_executable() -> str:
    """dbt of this Python's environment (`.venv/bin/dbt`), else the one on PATH."""
    if DBT_BESIDE_PYTHON.exists():
        return str(DBT_BESIDE_PYTHON)
    found = shutil.which("dbt")
    if found is None:
        raise RuntimeError(
            f"no dbt executable beside {sys.executable} nor on PATH: install the"
            " project's requirements (python3 scripts/dev.py setup)"
        )
    return found


class WarehouseDbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI resource, told the version of this environment's dbt.

    Before every dbt step dagster-dbt runs `dbt --version` in a subprocess (to
    tell dbt-core from dbt Fusion): a whole dbt start-up, about 2.5 s of CPU, for
    a version this process has already imported when the executable is the one
    beside this Python (DBT_BESIDE_PYTHON). Any other executable is asked."""

    @functools.cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable) == DBT_BESIDE_PYTHON:
            return Version(dbt_core_version)
        return super()._cli_version


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


def warehouse_target() -> str:
    """The dbt target the runs build (WAREHOUSE_TARGET, as profiles.yml reads it)."""
    return os.environ.get(TARGET_ENV, "").strip() or DEFAULT_TARGET


def prepared_project(
    project_dir: Path = ROOT, target: str = DEFAULT_TARGET
) -> DbtProject:
    """The dbt project with a manifest no older than its files (`dbt parse` into
    <target path>/dagster, or dagster-<target> for another target than DuckDB: the
    manifests differ, e.g. DuckDB's holds the Python models; when missing or
    stale, under a lock for concurrent loads)."""
    folder = "dagster" if target == DEFAULT_TARGET else f"dagster-{target}"
    project = DbtProject(
        project_dir=project_dir,
        target_path=dbt_target_dir(project_dir) / folder,
        target=target,
    )
    manifest = project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(manifest.parent / ".parse.lock")):
        newest = _newest_project_change(project_dir)
        if manifest.exists() and manifest.stat().st_mtime >= newest:
            return project
        invocation = WarehouseDbtCli(
            project_dir=project, dbt_executable=dbt_executable(), target=target
        ).cli(["parse", "--quiet"], target_path=project.target_path)
        invocation.wait()
    return project


def keep_parse_for_next_step(invocation: DbtCliInvocation) -> None:
    """dagster-dbt starts every dbt invocation in a fresh folder of the target
    folder and copies <target folder>/partial_parse.msgpack into it when there is
    one. Leave this invocation's parse there, so the run's next dbt step with the
    same vars (the build after `dbt source freshness`, the second step around the
    CLV fit) reuses it instead of parsing the whole project again. dbt checks the
    vars, the profile and every file's checksum before it reuses a parse, and
    parses again when any differs. Replaced atomically: runs may overlap."""
    parsed = invocation.target_path / PARTIAL_PARSE_FILE
    if not parsed.exists():
        return
    kept = dbt_target_dir(invocation.project_dir) / PARTIAL_PARSE_FILE
    partial = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
    shutil.copyfile(parsed, partial)
    os.replace(partial, kept)


def _node_id(manifest: Mapping[str, Any], name: str) -> str:
    return f"model.{manifest['metadata']['project_name']}.{name}"


def needs_client_fit(manifest: Mapping[str, Any]) -> bool:
    """Whether the CLV fit runs outside dbt: the engine runs no dbt Python models
    (int_clv_models_fitted is disabled, dbt_project.yml) but int_clv_parameters
    is built (it then reads raw_schema.clv_models_fitted)."""
    nodes = manifest["nodes"]
    return (
        _node_id(manifest, FIT_READERS[0]) in nodes
        and _node_id(manifest, CLV_FIT_MODEL) not in nodes
    )


class WarehouseTranslator(DagsterDbtTranslator):
    """dbt nodes grouped by layer: raw, staging, intermediate, history, semantic,
    seeds, and the marts by their folder (marts_customer_tags,
    marts_operations, marts_audiences: one graph of every mart is too large to
    read). The dbt tags, e.g. the cadence, become Dagster tags. Where the CLV
    fit runs outside dbt, its readers (FIT_READERS) depend on its asset
    (dbt reads the table through a macro, clv_client_fits_relation, so the manifest has
    no such edge)."""

    def get_asset_spec(
        self,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        readers = {_node_id(manifest, name) for name in FIT_READERS}
        if unique_id in readers and needs_client_fit(manifest):
            return spec.merge_attributes(deps=[CLV_FIT])
        return spec

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


@contextlib.contextmanager
def _indirect_selection(mode: str | None) -> Iterator[None]:
    """DBT_INDIRECT_SELECTION while dagster-dbt starts dbt (it reads the variable
    then and overrides it with `empty` when it selects the tests one by one)."""
    if mode is None or INDIRECT_SELECTION_ENV in os.environ:
        yield
        return
    os.environ[INDIRECT_SELECTION_ENV] = mode
    try:
        yield
    finally:
        del os.environ[INDIRECT_SELECTION_ENV]


def _dbt_assets(project: DbtProject, name: str, select: str, exclude: str) -> Any:
    # The unit tests run on DuckDB only: some mock DuckDB's Python models. Where
    # the build is split around the CLV fit, a test runs in the step that builds
    # the last of its parents (buildable), not in the first one that builds any
    # (dbt's default, eager: customer_tags' agrees_with_tag_marts would compare
    # the new daily marts with the old long table).
    duckdb = engine_type(project) == DUCKDB
    options = [] if duckdb else UNIT_TESTS_OFF
    indirect = None if duckdb else "buildable"

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name=name,
        select=select,
        exclude=exclude or None,
        partitions_def=DAILY,
        # One run per day: a run is one as_of_date (its history slice).
        backfill_policy=BackfillPolicy.multi_run(1),
        dagster_dbt_translator=TRANSLATOR,
    )
    def warehouse_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
        arguments = ["build", *options]
        arguments += ["--vars", json.dumps(dbt_vars(context.partition_key))]
        with _indirect_selection(indirect):
            invocation = dbt.cli(arguments, context=context)
        yield from invocation.stream()
        keep_parse_for_next_step(invocation)

    return warehouse_dbt


def build_dbt_assets(project: DbtProject) -> list[Any]:
    """Every model and seed of the project (tests as checks): one definition, or,
    where the CLV fit runs outside dbt, two: everything but the fit's readers
    and its descendants, then those (after the fit asset). Dagster would split one
    definition around the fit by itself, but its split puts some error-severity
    (blocking) dbt tests with several parents on the wrong side and refuses the
    job as circular (dagster 1.13; DECISIONLOG 2026-12-02)."""
    if not needs_client_fit(_manifest(project)):
        return [_dbt_assets(project, "warehouse_dbt", "fqn:*", "")]
    return [
        _dbt_assets(project, "warehouse_dbt", "fqn:*", AFTER_FIT_SELECTION),
        _dbt_assets(project, "warehouse_dbt_after_clv_fit", AFTER_FIT_SELECTION, ""),
    ]


def _manifest(project: DbtProject) -> dict[str, Any]:
    return json.loads(project.manifest_path.read_text(encoding="utf-8"))


def engine_type(project: DbtProject) -> str:
    """The adapter the manifest was parsed for: duckdb, postgres or spark."""
    return str(_manifest(project)["metadata"]["adapter_type"])


def source_specs(project: DbtProject) -> list[AssetSpec]:
    """The raw tables as external assets (files written by the CRM export)."""
    return [
        AssetSpec(
            TRANSLATOR.get_asset_key(props),
            description=props.get("description") or None,
            group_name="raw",
            kinds={engine_type(project)},
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
        keep_parse_for_next_step(invocation)
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


def fit_failure_severity(run_vars: Mapping[str, Any], project_dir: Path) -> str:
    """var clv_fit_failure_severity of a run: its vars, else dbt_project.yml."""
    if "clv_fit_failure_severity" in run_vars:
        return str(run_vars["clv_fit_failure_severity"])
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text("utf-8"))
    return str(project["vars"]["clv_fit_failure_severity"])


def fit_check_result(table: Any, as_of_date: str, severity: str) -> AssetCheckResult:
    """clv_model_fit_failed as DuckDB's dbt test of int_clv_models_fitted says it:
    fails when a model is neither fitted nor disabled; a warning unless var
    clv_fit_failure_severity is error (then, being blocking, it stops what
    reads the fit, as the failing dbt test does on DuckDB)."""
    models = table.drop_duplicates("model")
    failed = models[~models["status"].isin(["fitted", "disabled"])]
    reasons = {row.model: str(row.reason) for row in failed.itertuples()}
    if reasons:
        description = (
            f"CLV fit as of {as_of_date}: "
            + "; ".join(f"{model} {reason}" for model, reason in reasons.items())
            + ". ltv (bgnbd, gamma_gamma) or churn_risk (mbgnbd) is unknown for"
            " every customer of this day; the other tags are not affected"
            " (docs/tags.md: when the fit fails)."
        )
    else:
        description = f"CLV fit as of {as_of_date}: every enabled model fitted."
    return AssetCheckResult(
        asset_key=CLV_FIT,
        check_name=CLV_FIT_CHECK,
        passed=not reasons,
        severity=(
            AssetCheckSeverity.ERROR if severity == "error" else AssetCheckSeverity.WARN
        ),
        description=description,
        metadata={"failed_models": MetadataValue.json(reasons)},
    )


def build_clv_fit_asset(project: DbtProject, target: str) -> Any | None:
    """The client-side CLV fit as an asset, where dbt does not fit (None on
    DuckDB): after the grouped summaries, before int_clv_parameters (the
    translator adds that edge). It calls tag_warehouse.clv_engine.fit_on_engine,
    which reads the summaries and writes the fit table through dbt's adapter."""
    manifest = _manifest(project)
    if not needs_client_fit(manifest):
        return None
    inputs = [
        TRANSLATOR.get_asset_key(manifest["nodes"][_node_id(manifest, name)])
        for name in CLV_FIT_INPUTS
    ]
    fit_dir = project.target_path / "clv_fit"
    project_dir = Path(project.project_dir)

    @asset(
        key=CLV_FIT,
        deps=inputs,
        partitions_def=DAILY,
        backfill_policy=BackfillPolicy.multi_run(1),
        group_name="intermediate",
        kinds={"python", engine_type(project)},
        check_specs=[
            AssetCheckSpec(
                CLV_FIT_CHECK,
                asset=CLV_FIT,
                blocking=True,
                description=(
                    "Every enabled CLV model fitted. A failed fit warns (ltv or"
                    " churn_risk unknown, the run goes on), or stops what reads the"
                    " fit with var clv_fit_failure_severity: error."
                ),
            )
        ],
        description=(
            "The CLV fits (BG/NBD, Gamma-Gamma, MBG/NBD) of the day, fitted in"
            " Python on the grouped summaries pulled from the engine and written"
            " back as clv_models_fitted in var raw_schema, where int_clv_parameters"
            " reads them (tag_warehouse/clv_engine.py; `scripts/clv.py fit` by"
            " hand). A model that cannot be fitted is a status in the table and a"
            " warning of the check; dbt failing to read or write fails the asset."
        ),
    )
    def clv_models_fitted(context: AssetExecutionContext) -> MaterializeResult:
        run_vars = dbt_vars(context.partition_key)
        context.log.info(
            f"CLV fit on {target} as of {context.partition_key}: reading"
            f" {' and '.join(CLV_FIT_INPUTS)} through dbt"
        )
        started = time.monotonic()
        fit_dir.mkdir(parents=True, exist_ok=True)
        try:
            done = fit_on_engine(
                target,
                json.dumps(run_vars),
                ["--target-path", str(fit_dir), "--log-path", str(fit_dir)],
            )
        except EngineFitError as error:
            raise Failure(
                description=(
                    f"CLV fit on {target}: {error}. ltv and churn_risk are not"
                    " scored for this day; fix the cause and re-run the partition."
                ),
                metadata={"dbt_log": MetadataValue.path(str(fit_dir / "dbt.log"))},
            ) from error
        seconds = time.monotonic() - started
        models = done.table.drop_duplicates("model").set_index("model")
        statuses = {
            str(model): str(row["status"])
            + ("" if row["status"] == "fitted" else f": {row['reason']}")
            for model, row in models.iterrows()
        }
        context.log.info(
            f"CLV fit as of {done.settings.as_of_date}: {done.purchase_rows}"
            f" distinct (x, t_x, T) and {done.spend_rows} distinct (x, m) rows,"
            f" wrote {len(done.table)} rows to clv_models_fitted in {seconds:.1f} s"
        )
        for model, status in statuses.items():
            context.log.info(f"  {model}: {status}")
        check = fit_check_result(
            done.table,
            done.settings.as_of_date,
            fit_failure_severity(run_vars, project_dir),
        )
        if not check.passed:
            context.log.warning(check.description or "")
        return MaterializeResult(
            metadata={
                "as_of_date": done.settings.as_of_date,
                "target": target,
                "purchase_rows": done.purchase_rows,
                "spend_rows": done.spend_rows,
                "fit_rows": len(done.table),
                "models": MetadataValue.json(statuses),
                "seconds": round(seconds, 1),
            },
            check_results=[check],
        )

    return clv_models_fitted


def views_dropped_with(project: DbtProject, dbt_select: str) -> list[AssetKey]:
    """The views a build of `dbt_select` drops without rebuilding them, on an
    engine of CASCADING_ENGINES (else none): the views reached from a rebuilt
    table or view through views only. A job must rebuild them, or they are
    missing until a build that selects them (e.g. the weekly build's staging
    tests would read a dropped stg_crm__orders_rejected)."""
    manifest = _manifest(project)
    if manifest["metadata"]["adapter_type"] not in CASCADING_ENGINES:
        return []
    nodes = manifest["nodes"]

    def materialized(unique_id: str) -> str | None:
        props = nodes.get(unique_id)
        if props is None or props["resource_type"] != "model":
            return None
        return props["config"].get("materialized")

    selected = select_unique_ids(dbt_select, "", "", project, manifest)
    frontier = [uid for uid in selected if materialized(uid) in ("table", "view")]
    dropped: set[str] = set()
    while frontier:
        for child in manifest["child_map"].get(frontier.pop(), []):
            if materialized(child) == "view" and child not in selected | dropped:
                dropped.add(child)
                frontier.append(child)
    return [TRANSLATOR.get_asset_key(nodes[uid]) for uid in sorted(dropped)]
