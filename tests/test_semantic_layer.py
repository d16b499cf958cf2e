"""The semantic layer answers (issue #20 item 4): `mf validate-configs` passes and
`mf query` results equal plain SQL on the marts of the demo warehouse."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import ROOT, DbtRun

# MetricFlow reads <project>/target/semantic_manifest.json and the profile from the
# directory it runs in: the project linked into a throw-away folder with its own
# target/, so the tests never touch the checkout's target/ or warehouse.
PROJECT_ENTRIES = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "seeds",
    "snapshots",
    "tests",
    "analyses",
    "tag_warehouse",
)


@pytest.fixture(scope="module")
def mf_project(tmp_path_factory: pytest.TempPathFactory, demo_build: DbtRun) -> Path:
    """The project with the demo build's semantic manifest and a copy of its
    warehouse (MetricFlow opens it as dbt does, not read-only)."""
    project = tmp_path_factory.mktemp("metricflow")
    for name in PROJECT_ENTRIES:
        (project / name).symlink_to(ROOT / name)
    (project / "target").mkdir()
    manifest = demo_build.target_path / "semantic_manifest.json"
    shutil.copyfile(manifest, project / "target" / manifest.name)
    shutil.copyfile(demo_build.db_path, project / "warehouse.duckdb")
    return project


def mf(project: Path, *arguments: str) -> str:
    """Run the `mf` CLI of this environment in project; its output."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mf"), *arguments],
        cwd=project,
        env={
            **os.environ,
            "WAREHOUSE_DB": str(project / "warehouse.duckdb"),
            "WAREHOUSE_TEMP_DIR": str(project / "tmp"),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def mf_rows(project: Path, *arguments: str) -> list[dict[str, str]]:
    out = project / "query.csv"
    mf(project, "query", *arguments, "--csv", str(out))
    with out.open(encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


def sql(project: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(project / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(query).fetchall()


def test_validate_configs_passes_against_the_warehouse(mf_project: Path) -> None:
    output = mf(mf_project, "validate-configs")
    assert "Successfully validated the semantics of built manifest" in output
    assert "Successfully validated metrics against data warehouse" in output


def test_customers_per_tag_value_equal_the_marts(mf_project: Path) -> None:
    """Every registry tag, value by value: mf's tagged_customers against a count
    on the tag's own mart; and the documented one-tag form with --where."""
    answered = {
        (row["customer_tag__tag"], row["customer_tag__value"]): int(
            row["tagged_customers"]
        )
        for row in mf_rows(
            mf_project,
            "--metrics",
            "tagged_customers",
            "--group-by",
            "customer_tag__tag,customer_tag__value",
        )
    }
    expected = {}
    for tag, mart in sql(mf_project, "select tag, mart from reference.tag_registry"):
        for value, customers in sql(
            mf_project,
            f"select cast({tag} as varchar), count(*) from marts.{mart} group by 1",
        ):
            expected[(tag, value)] = customers
    assert answered == expected
    one_tag = mf_rows(
        mf_project,
        "--metrics",
        "tagged_customers",
        "--group-by",
        "customer_tag__value",
        "--where",
        "{{ Dimension('customer_tag__tag') }} = 'lifecycle_stage'",
    )
    assert {
        ("lifecycle_stage", row["customer_tag__value"]): int(row["tagged_customers"])
        for row in one_tag
    } == {key: count for key, count in expected.items() if key[0] == "lifecycle_stage"}


def test_revenue_and_customers_per_level_equal_the_marts(mf_project: Path) -> None:
    answered = {
        row["customer__customer_level"]: (
            Decimal(row["revenue"]),
            int(row["customer_count"]),
        )
        for row in mf_rows(
            mf_project,
            "--metrics",
            "revenue,customer_count",
            "--group-by",
            "customer__customer_level",
        )
    }
    expected = {
        level: (revenue, customers)
        for level, revenue, customers in sql(
            mf_project,
            "select customer_level, sum(window_amount), count(*)"
            " from marts.customer_tags_value group by 1",
        )
    }
    assert answered.keys() == expected.keys()
    for level, (revenue, customers) in expected.items():
        assert answered[level][1] == customers
        assert abs(answered[level][0] - revenue) < Decimal("0.01"), level
