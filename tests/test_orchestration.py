"""Dagster orchestration (orchestration/, issue #20 item 1): the definitions load,
the daily job runs in process on generated data and publishes, a stale raw file or
a failing dbt test stops the publish, and `dagster dev` shows the tag marts. On
PostgreSQL (issue #23) the CLV fit is an asset between the grouped summaries and
int_clv_parameters, in the jobs that build ltv; its in-process runs here fake the
engine (a real run was checked by hand: docs/engines.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    Definitions,
    ExecuteInProcessResult,
    Failure,
    build_schedule_context,
    materialize,
)
from dagster_dbt.core import resource as dagster_dbt_resource
from dbt.version import __version__ as dbt_core_version
from dbt_helpers import AS_OF, ROOT, DbtRun, release_duckdb
from dev import dagster_command
from packaging.version import Version
from test_dashboard import CHROMIUM_ARGS, chromium_or_skip

from orchestration import assets as orchestration_assets
from orchestration.assets import (
    CLV_FIT,
    CLV_FIT_CHECK,
    DASHBOARD,
    DBT_VARS_ENV,
    FRESHNESS_CHECK,
    PARTIAL_PARSE_FILE,
    PUBLISHED,
    WarehouseDbtCli,
    dbt_executable,
    dbt_vars,
    prepared_project,
)
from orchestration.definitions import build_definitions
from tag_warehouse.catalogue.load import load
from tag_warehouse.clv.table import FitSettings
from tag_warehouse.clv_engine import EngineFit, EngineFitError
from tag_warehouse.publish import current_version_dir, publish, read_build_info

NEXT_DAY = (dt.date.fromisoformat(AS_OF) + dt.timedelta(days=1)).isoformat()
TAG_MARTS = {
    "daily": [
        "customer_tags_basic",
        "customer_tags_behavior",
        "customer_tags_lifecycle",
    ],
    "weekly": ["customer_tags_value"],
    "monthly": ["customer_tags_preference", "customer_tags_service"],
}
RAW_SOURCES = ["customers", "orders", "service_interactions"]
CLV_SUMMARIES = {
    AssetKey(["intermediate", "int_clv_purchases_grouped"]),
    AssetKey(["intermediate", "int_clv_spend_grouped"]),
    AssetKey(["intermediate", "int_clv_calibration_purchases_grouped"]),
    AssetKey(["intermediate", "int_clv_calibration_spend_grouped"]),
}
CLV_PARAMETERS = AssetKey(["intermediate", "int_clv_parameters"])
CLV_BACKTEST_PARAMETERS = AssetKey(["intermediate", "int_clv_backtest_parameters"])
# The generated data is as of AS_OF, long before today: thresholds that only warn.
WARN_ONLY = {
    "raw_freshness_warn_after_hours": 1,
    "raw_freshness_error_after_hours": 87600,
}


@dataclass
class Orchestration:
    defs: Definitions
    work: Path
    warehouse: Path
    published: Path
    raw_dir: Path
    environment: dict[str, str]


@pytest.fixture(scope="module")
def orchestration(
    tmp_path_factory: pytest.TempPathFactory, demo_build: DbtRun, demo_raw_dir: Path
) -> Iterator[Orchestration]:
    """The definitions on a copy of the session's demo warehouse (every mart built
    as of AS_OF), published once, with the environment a deployment would set."""
    work = tmp_path_factory.mktemp("orchestration")
    warehouse = work / "warehouse.duckdb"
    shutil.copyfile(demo_build.db_path, warehouse)
    published = work / "published"
    publish(warehouse, published)
    environment = {
        "DBT_TARGET_PATH": str(work / "target"),
        "WAREHOUSE_DB": str(warehouse),
        "WAREHOUSE_TEMP_DIR": str(work / "tmp"),
        "WAREHOUSE_PUBLISH_DIR": str(published),
        "WAREHOUSE_DBT_VARS": json.dumps({"raw_data_path": str(demo_raw_dir)}),
    }
    patch = pytest.MonkeyPatch()
    for name, value in environment.items():
        patch.setenv(name, value)
    try:
        yield Orchestration(
            build_definitions(), work, warehouse, published, demo_raw_dir, environment
        )
    finally:
        patch.undo()


def set_dbt_vars(
    monkeypatch: pytest.MonkeyPatch, raw_dir: Path, **extra: object
) -> None:
    monkeypatch.setenv(
        "WAREHOUSE_DBT_VARS", json.dumps({"raw_data_path": str(raw_dir), **extra})
    )


def check_evaluations(result: ExecuteInProcessResult) -> list[AssetCheckEvaluation]:
    return [
        event.event_specific_data
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]


def materialized(result: ExecuteInProcessResult) -> set[AssetKey]:
    return {
        event.event_specific_data.materialization.asset_key
        for event in result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION"
    }


def as_of_dates(warehouse: Path, marts: list[str]) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            str(con.execute(f"select max(as_of_date) from marts.{mart}").fetchone()[0])
            for mart in marts
        }


def test_extra_dbt_vars_come_from_the_environment_but_never_the_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(DBT_VARS_ENV, "{raw_data_path: /data/crm, m_high: 80000}")
    assert dbt_vars(NEXT_DAY) == {
        "raw_data_path": "/data/crm",
        "m_high": 80000,
        "as_of_date": NEXT_DAY,
    }
    monkeypatch.setenv(DBT_VARS_ENV, "{as_of_date: 2026-01-31}")
    with pytest.raises(Failure, match="the run's day .* is the as_of_date"):
        dbt_vars(NEXT_DAY)
    monkeypatch.setenv(DBT_VARS_ENV, "raw_data_path=/data/crm")
    with pytest.raises(Failure, match="must be a YAML mapping of dbt vars"):
        dbt_vars(NEXT_DAY)


def test_dbt_steps_take_the_dbt_version_of_this_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No `dbt --version` subprocess per step for the dbt beside this Python;
    another executable is still asked."""
    asked: list[str] = []

    def check_output(command: list[str]) -> bytes:
        asked.append(command[0])
        return b"Core:\n  - installed: 1.10.9\n"

    monkeypatch.setattr(dagster_dbt_resource, "check_output", check_output)
    # what WarehouseDbtCli overrides is still dagster-dbt's
    assert "_cli_version" in vars(dagster_dbt_resource.DbtCliResource)
    ours = WarehouseDbtCli(project_dir=str(ROOT), dbt_executable=dbt_executable())
    assert ours._cli_version == Version(dbt_core_version)
    elsewhere = tmp_path / "dbt"
    elsewhere.write_text("#!/bin/sh\n")
    elsewhere.chmod(0o755)
    other = WarehouseDbtCli(project_dir=str(ROOT), dbt_executable=str(elsewhere))
    assert other._cli_version == Version("1.10.9")
    assert asked == [str(elsewhere)]


def test_jobs_follow_the_cadence_tags_and_schedules_run_their_day(
    orchestration: Orchestration,
) -> None:
    defs = orchestration.defs
    freshness = {
        f"crm/{table}:{FRESHNESS_CHECK}" for table in RAW_SOURCES
    }  # every job checks the raw files first
    for job_name, cron, wanted, unwanted in (
        ("daily", "0 2 * * *", ["daily"], ["weekly", "monthly"]),
        ("weekly", "0 3 * * 1", ["weekly"], ["daily", "monthly"]),
        ("monthly", "0 4 1 * *", ["daily", "weekly", "monthly"], []),
    ):
        job = defs.resolve_job_def(job_name)
        keys = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
        for cadence in wanted:
            assert {f"marts/{mart}" for mart in TAG_MARTS[cadence]} <= keys
        for cadence in unwanted:
            assert not {f"marts/{mart}" for mart in TAG_MARTS[cadence]} & keys
        assert {"marts/customer_tags", "published_marts", "dashboard"} <= keys
        checks = {
            f"{key.asset_key.to_user_string()}:{key.name}"
            for key in job.asset_layer.asset_graph.asset_check_keys
        }
        assert freshness <= checks
        schedule = defs.resolve_schedule_def(f"{job_name}_schedule")
        assert schedule.cron_schedule == cron
        tick = dt.datetime(2026, 7, 6, 4, 0, tzinfo=dt.UTC)  # a Monday
        request = schedule(build_schedule_context(scheduled_execution_time=tick))
        assert request.partition_key == "2026-07-06"
    # dbt tests are the marts' asset checks.
    daily_checks = defs.resolve_job_def(
        "daily"
    ).asset_layer.asset_graph.asset_check_keys
    assert any(
        key.asset_key == AssetKey(["marts", "customer_tags_basic"])
        for key in daily_checks
    )


def test_daily_job_builds_the_day_and_publishes(
    orchestration: Orchestration, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next day: freshness (warnings only), the daily marts and operations,
    then a new published version and the dashboard; the weekly and monthly marts
    keep the day they were built."""
    set_dbt_vars(monkeypatch, orchestration.raw_dir, **WARN_ONLY)
    before = current_version_dir(orchestration.published).name
    result = orchestration.defs.resolve_job_def("daily").execute_in_process(
        partition_key=NEXT_DAY, raise_on_error=False
    )
    release_duckdb()
    assert result.success, [str(event) for event in result.all_events][-20:]
    freshness = [
        e for e in check_evaluations(result) if e.check_name == FRESHNESS_CHECK
    ]
    assert len(freshness) == len(RAW_SOURCES)
    # Freshness is measured against the wall clock: a planted future order of the
    # generated data may already lie in the past today, so a source may pass;
    # none may fail with an error.
    assert not [e for e in freshness if not e.passed and e.severity.value != "WARN"]
    assert not all(e.passed for e in freshness)
    dbt_checks = [
        e for e in check_evaluations(result) if e.check_name != FRESHNESS_CHECK
    ]
    assert len(dbt_checks) > 50
    assert {PUBLISHED, DASHBOARD} <= materialized(result)
    # The freshness step's parse is left for the build step (same vars).
    assert (orchestration.work / "target" / PARTIAL_PARSE_FILE).exists()
    assert as_of_dates(orchestration.warehouse, TAG_MARTS["daily"]) == {NEXT_DAY}
    untouched = TAG_MARTS["weekly"] + TAG_MARTS["monthly"]
    assert as_of_dates(orchestration.warehouse, untouched) == {AS_OF}
    version = current_version_dir(orchestration.published)
    assert version.name != before
    assert set(read_build_info(version)["as_of_dates"]) == {AS_OF, NEXT_DAY}
    for lang in ("zh", "en"):
        page = orchestration.published / f"dashboard_{lang}.html"
        assert version.name in page.read_text(encoding="utf-8")


def test_stale_raw_files_stop_the_run_before_dbt(
    orchestration: Orchestration, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default thresholds (26 / 50 hours) on files last fed on AS_OF: the
    freshness check fails, nothing is built, readers keep the version they had."""
    set_dbt_vars(monkeypatch, orchestration.raw_dir)
    before = current_version_dir(orchestration.published).name
    result = orchestration.defs.resolve_job_def("daily").execute_in_process(
        partition_key=NEXT_DAY, raise_on_error=False
    )
    assert not result.success
    customers = [
        e
        for e in check_evaluations(result)
        if e.asset_key == AssetKey(["crm", "customers"])
    ]
    assert len(customers) == 1 and not customers[0].passed
    assert customers[0].severity.value == "ERROR"
    assert "has stopped arriving" in (customers[0].description or "")
    assert materialized(result) == set()
    assert current_version_dir(orchestration.published).name == before


def test_a_failing_dbt_test_stops_the_publish(
    orchestration: Orchestration,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A copy of the project with a planted failing test on the tag_registry seed:
    the seed is built, its test fails, and neither the publish nor the dashboard
    runs."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copyfile(ROOT / name, project / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.py[co]")
    for name in (
        "models",
        "macros",
        "seeds",
        "snapshots",
        "analyses",
        "catalogue",
        "tag_warehouse",
    ):
        shutil.copytree(ROOT / name, project / name, ignore=ignore)
    for name in ("generic", "singular"):
        shutil.copytree(ROOT / "tests" / name, project / "tests" / name)
    (project / "tests" / "singular" / "planted_failure.sql").write_text(
        "select tag from {{ ref('tag_registry') }}\n"
    )
    # The copy's parse starts from the definitions' parse of the project (dbt
    # then parses the planted test only).
    target = tmp_path / "target"
    target.mkdir()
    shutil.copyfile(
        prepared_project().target_path / PARTIAL_PARSE_FILE,
        target / PARTIAL_PARSE_FILE,
    )
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))
    set_dbt_vars(monkeypatch, orchestration.raw_dir)
    defs = build_definitions(project)
    before = current_version_dir(orchestration.published).name
    result = defs.resolve_job_def("daily").execute_in_process(
        partition_key=NEXT_DAY,
        asset_selection=[AssetKey(["reference", "tag_registry"]), PUBLISHED, DASHBOARD],
        raise_on_error=False,
    )
    release_duckdb()
    assert not result.success
    planted = [
        e for e in check_evaluations(result) if e.check_name == "planted_failure"
    ]
    assert len(planted) == 1 and not planted[0].passed
    assert materialized(result) == {AssetKey(["reference", "tag_registry"])}
    assert current_version_dir(orchestration.published).name == before


def test_duckdb_fits_inside_dbt_build(orchestration: Orchestration) -> None:
    """On DuckDB the fit is the dbt Python model: no fit asset, one dbt step."""
    graph = orchestration.defs.resolve_asset_graph()
    assert CLV_FIT not in graph.get_all_asset_keys()
    assert AssetKey(["intermediate", "int_clv_models_fitted"]) in (
        graph.get(CLV_PARAMETERS).parent_keys
    )
    weekly = orchestration.defs.resolve_job_def("weekly")
    assert {node.name for node in weekly.graph.nodes} == {
        "raw_source_freshness",
        "warehouse_dbt",
        "published_marts",
        "dashboard",
    }


@pytest.fixture(scope="module")
def postgres_defs(tmp_path_factory: pytest.TempPathFactory) -> Definitions:
    """The definitions with WAREHOUSE_TARGET=postgres (a parse, no server); the
    variable is set only while they load (they keep the target)."""
    work = tmp_path_factory.mktemp("orchestration_postgres")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAREHOUSE_TARGET", "postgres")
        patch.setenv("DBT_TARGET_PATH", str(work / "target"))
        return build_definitions()


def ltv_cadence() -> str:
    """The cadence of the mart that holds ltv and churn_risk (the catalogue's)."""
    (cadence,) = {
        dimension.spec.cadence
        for dimension in load(ROOT).dimensions
        for tag in dimension.spec.tags
        if tag.name in ("ltv", "churn_risk")
    }
    return str(cadence)


def test_postgres_jobs_fit_clv_between_the_summaries_and_the_scorers(
    postgres_defs: Definitions,
) -> None:
    """The fit asset reads the grouped summaries and feeds int_clv_parameters; a
    job that builds ltv's mart runs dbt, the fit, then int_clv_parameters and
    what reads it (two dbt steps); no Parquet publish on PostgreSQL."""
    graph = postgres_defs.resolve_asset_graph()
    fit = graph.get(CLV_FIT)
    assert fit.parent_keys == CLV_SUMMARIES
    assert fit.child_keys == {CLV_PARAMETERS, CLV_BACKTEST_PARAMETERS}
    assert {PUBLISHED, DASHBOARD}.isdisjoint(graph.get_all_asset_keys())
    cadence = ltv_cadence()
    assert cadence == "weekly"  # catalogue/tags/value.yml; the jobs follow it
    for job_name in ("daily", "weekly", "monthly"):
        job = postgres_defs.resolve_job_def(job_name)
        keys = job.asset_layer.selected_asset_keys
        builds_ltv = job_name in (cadence, "monthly")
        assert (CLV_FIT in keys) is builds_ltv, job_name
        assert AssetKey(["marts", "customer_tags_value"]) in keys or not builds_ltv
        if not builds_ltv:
            continue
        assert CLV_SUMMARIES | {CLV_PARAMETERS} <= keys
        checks = {key.name for key in job.asset_layer.asset_graph.asset_check_keys}
        assert CLV_FIT_CHECK in checks
        order = [node.name for node in job.graph.nodes_in_topological_order]
        fit_step = order.index("raw__clv_models_fitted")
        assert order.index("warehouse_dbt") < fit_step
        assert order.index("warehouse_dbt_after_clv_fit") > fit_step
    # A rebuilt table drops the views on it (PostgreSQL): the weekly job
    # rebuilds the rejected-rows views its staging tests read.
    weekly = postgres_defs.resolve_job_def("weekly").asset_layer.selected_asset_keys
    assert AssetKey(["staging", "stg_crm__orders_rejected"]) in weekly


def fake_fit(
    calls: list[tuple[Any, ...]], statuses: dict[str, str] | None = None
) -> Any:
    """fit_on_engine's stand-in: one row per model with the given status."""

    def fit_on_engine(target: str, dbt_vars: str, dbt_args: list[str]) -> EngineFit:
        calls.append((target, json.loads(dbt_vars), dbt_args))
        if statuses is None:
            raise EngineFitError("dbt show failed: connection refused")
        settings = FitSettings(
            as_of_date=AS_OF,
            ltv_enabled=True,
            churn_risk_enabled=True,
            horizon_years=3.0,
            unit="weeks",
            annual_discount_rate=0.1,
            spend_remedy="winsorise",
            winsorise_quantiles=[0.99],
        )
        table = pd.DataFrame(
            {
                "model": list(statuses),
                "status": list(statuses.values()),
                "reason": [
                    None if status == "fitted" else "q <= 1"
                    for status in statuses.values()
                ],
            }
        )
        return EngineFit(settings, 303, 271, table)

    return fit_on_engine


def test_the_fit_asset_warns_on_a_failed_fit_and_fails_on_a_dbt_error(
    postgres_defs: Definitions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The asset materialises with a warning when a model does not fit (ltv
    unknown, the run goes on), an error-severity failure when var
    clv_fit_failure_severity is error (blocking: what reads the fit does not
    run), and fails when dbt cannot read or write (e.g. no server)."""
    fit_asset = postgres_defs.get_assets_def(CLV_FIT)
    calls: list[tuple[Any, ...]] = []
    fitted = {"bgnbd": "fitted", "gamma_gamma": "fitted", "mbgnbd": "fitted"}
    failed = {**fitted, "gamma_gamma": "failed"}
    for statuses, severity, passed, check_severity in (
        (fitted, "warn", True, "WARN"),
        (failed, "warn", False, "WARN"),
        (failed, "error", False, "ERROR"),
    ):
        monkeypatch.setattr(
            orchestration_assets, "fit_on_engine", fake_fit(calls, statuses)
        )
        monkeypatch.setenv(DBT_VARS_ENV, f"{{clv_fit_failure_severity: {severity}}}")
        result = materialize([fit_asset], partition_key=AS_OF, raise_on_error=False)
        (check,) = check_evaluations(result)
        assert (check.check_name, check.passed) == (CLV_FIT_CHECK, passed)
        assert check.severity.value == check_severity
        assert result.success is (check_severity == "WARN" or passed)
        assert CLV_FIT in materialized(result)
        if not passed:
            assert "gamma_gamma q <= 1" in (check.description or "")
    target, run_vars, dbt_args = calls[0]
    assert target == "postgres"
    assert run_vars == {"clv_fit_failure_severity": "warn", "as_of_date": AS_OF}
    assert "--target-path" in dbt_args
    monkeypatch.setattr(orchestration_assets, "fit_on_engine", fake_fit(calls))
    result = materialize([fit_asset], partition_key=AS_OF, raise_on_error=False)
    assert not result.success and materialized(result) == set()
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "connection refused" in str(failure.event_specific_data)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_server(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dagster dev exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(2)
    pytest.fail(f"dagster dev did not answer {url}: {log.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    """dagster dev and its webserver, daemon and code servers (one process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            continue


def test_dagster_ui_shows_the_asset_graph_with_the_tag_marts(
    orchestration: Orchestration, tmp_path: Path
) -> None:
    """`dagster dev` as scripts/dev.py starts it; headless Chromium opens the
    tag marts' group of the asset graph and finds every tag mart."""
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    command = [Path(sys.executable).parent / "dagster", *dagster_command(port)[1:]]
    bin_dir = str(Path(sys.executable).parent)
    environment = {
        **os.environ,
        **orchestration.environment,
        "DAGSTER_HOME": str(home),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log = tmp_path / "dagster_dev.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(part) for part in command],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    screenshot = tmp_path / "asset_graph.png"
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(f"{base}/server_info", server, log)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(executable), args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 2000})
                page.goto(
                    f"{base}/locations/orchestration.definitions/asset-groups/marts_customer_tags",
                    wait_until="load",
                    timeout=120_000,
                )
                for marts in TAG_MARTS.values():
                    for mart in marts:
                        node = page.get_by_text(mart, exact=True).first
                        node.wait_for(state="attached", timeout=180_000)
                page.screenshot(path=str(screenshot))
                body = page.locator("body").inner_text()
            finally:
                browser.close()
    finally:
        stop(server)
    print(f"asset graph screenshot: {screenshot}")
    assert "published_marts" in body
    assert "Join the Dagster community" not in body  # dagster.yaml: nux off
