"""Every table a consumer reads (schema `marts`: what publish exports to BI and the
CRM) has an enforced dbt contract and is public; nothing else is public; and a
model whose SQL changes a contracted column's type is refused before its table is
written."""

from __future__ import annotations

import json

import duckdb
import pytest
from dbt_helpers import FIXTURES, ROOT, SMALL_DATA_VARS, DbtRun, run_dbt
from test_catalogue import copy_project

from tag_warehouse.catalogue.load import load
from tag_warehouse.publish import MART_SCHEMA

# The hand-written consumer tables besides the catalogue's tag marts.
OPERATIONS_MARTS = {"customer_tags", "customer_profile", "customer_tag_changes"}
OPERATIONS_MARTS |= {"tag_health"}


@pytest.fixture(scope="module")
def changed_type_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """A copy of the project whose customer_tags_service SQL makes complaint_count
    (a bigint in its contract) a double, built empty with its parents (the
    contract compares types only, so no rows are needed)."""
    workdir = tmp_path_factory.mktemp("contracts")
    project = copy_project(workdir / "project")
    mart = project / "models/marts/customer_tags/customer_tags_service.sql"
    sql = mart.read_text(encoding="utf-8")
    cast = "cast(complaint_count as bigint) as complaint_count"
    assert cast in sql
    double = "cast(complaint_count as {{ type_double() }}) as complaint_count"
    mart.write_text(sql.replace(cast, double), encoding="utf-8")
    return run_dbt(
        [
            "build",
            "--select",
            "+customer_tags_service",
            "--resource-type",
            "seed",
            "model",
            "--empty",
        ],
        workdir,
        FIXTURES / "raw_dirty",
        extra_vars=SMALL_DATA_VARS,
        project_dir=project,
        artifacts=True,
    )


def test_consumer_tables_are_public_with_enforced_contracts(
    changed_type_build: DbtRun,
) -> None:
    """From the manifest (the copy differs from the project in one cast, none of
    its configs): every model of schema marts (the published tables, incl. every
    tag mart of the catalogue and everything the exposures read) is public with an
    enforced contract and a data_type on every column; every other model is
    protected."""
    manifest = json.loads(
        (changed_type_build.target_path / "manifest.json").read_text()
    )
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    consumers = {name for name, node in models.items() if node["schema"] == MART_SCHEMA}
    tag_marts = {dim.mart for dim in load(ROOT).dimensions if dim.tags("active")}
    assert tag_marts | OPERATIONS_MARTS <= consumers
    exposed = {
        manifest["nodes"][parent]["name"]
        for exposure in manifest["exposures"].values()
        for parent in exposure["depends_on"]["nodes"]
        if parent.startswith("model.")
    }
    assert exposed <= consumers
    for name in sorted(consumers):
        node = models[name]
        assert node["access"] == "public", name
        assert node["config"]["contract"]["enforced"] is True, name
        untyped = [
            c for c, column in node["columns"].items() if not column["data_type"]
        ]
        assert node["columns"] and untyped == [], (name, untyped)
    public = {name for name, node in models.items() if node["access"] == "public"}
    assert public == consumers


def test_a_changed_column_type_is_refused_by_the_contract(
    changed_type_build: DbtRun,
) -> None:
    """dbt's contract error names the column and both types, the mart is not
    written, and its parents are."""
    run = changed_type_build
    assert not run.success
    assert "This model has an enforced contract that failed" in run.log
    mismatch = [line for line in run.log.splitlines() if "complaint_count" in line]
    assert mismatch and "DOUBLE" in mismatch[0] and "BIGINT" in mismatch[0], run.log
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        written = dict(
            con.execute(
                "select table_name, count(*) from information_schema.tables"
                " where table_name in ('customer_tags_service', 'stg_crm__customers')"
                " group by 1"
            ).fetchall()
        )
    assert written == {"stg_crm__customers": 1}
