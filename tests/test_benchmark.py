"""The benchmark's competitors compute the same tags as the warehouse: the plain
pandas and Polars versions and the hand-written DuckDB floor equal the dbt marts
value by value on the generated dirty data; and the benchmark's helpers (timing,
memory, appended day, report) behave. Small data only: no timings are asserted."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from dbt_helpers import AS_OF, ROOT, DbtRun

from tag_warehouse.devtools.benchmark import (
    SCALES,
    append_day,
    copy_floor_tags,
    customers_for,
    floor_tags,
    format_table,
    generator_years,
    marts_tags,
    measure,
    memory_limit_bytes,
    ratios,
    sql_tag_differences,
    tag_differences,
)
from tag_warehouse.devtools.pandas_tags import NOT_COVERED, TAG_COLUMNS, pandas_tags
from tag_warehouse.devtools.polars_tags import polars_tags

sys.path.insert(0, str(ROOT / "scripts"))
import benchmark as benchmark_cli  # noqa: E402

AS_OF_DATE = dt.date.fromisoformat(AS_OF)


@pytest.fixture(scope="module")
def dbt_tags(demo_build: DbtRun) -> pd.DataFrame:
    return marts_tags(demo_build.db_path)


def test_pandas_tags_equal_the_marts(
    dbt_tags: pd.DataFrame, demo_raw_dir: Path
) -> None:
    tags = pandas_tags(demo_raw_dir, AS_OF_DATE)
    assert len(tags) == len(dbt_tags) > 1000
    assert tag_differences(tags, dbt_tags) == {}


def test_polars_tags_equal_the_marts(
    dbt_tags: pd.DataFrame, demo_raw_dir: Path
) -> None:
    tags = polars_tags(demo_raw_dir, AS_OF_DATE)
    assert list(tags.columns) == list(TAG_COLUMNS)
    assert len(tags) == len(dbt_tags) > 1000
    assert tag_differences(tags, dbt_tags) == {}


def test_floor_tags_equal_the_marts(dbt_tags: pd.DataFrame, demo_raw_dir: Path) -> None:
    tags = floor_tags(demo_raw_dir, AS_OF_DATE)
    assert list(tags.columns) == list(TAG_COLUMNS)
    assert tag_differences(tags, dbt_tags) == {}


def test_floor_tags_copied_by_duckdb_and_compared_in_duckdb(
    demo_build: DbtRun, demo_raw_dir: Path, tmp_path: Path
) -> None:
    """The 100m run's path: the floor writes its tags with DuckDB, and they are
    compared with the marts in DuckDB (10 million customers fit no pandas frame)."""
    copied = tmp_path / "floor.parquet"
    copy_floor_tags(demo_raw_dir, AS_OF_DATE, copied, memory_limit="1GB")
    assert pq.read_schema(copied).names == ["customer_id", *TAG_COLUMNS]
    assert sql_tag_differences(copied, demo_build.db_path) == {}
    changed = tmp_path / "changed.parquet"
    fewer = tmp_path / "fewer.parquet"
    with duckdb.connect() as con:
        first = f"(select min(customer_id) from '{copied}')"
        con.execute(
            f"copy (select * replace (if(customer_id = {first}, 'never?', recency)"
            f" as recency) from '{copied}') to '{changed}'"
        )
        con.execute(f"copy (from '{copied}' where customer_id > {first}) to '{fewer}'")
    assert sql_tag_differences(changed, demo_build.db_path) == {"recency": 1}
    assert sql_tag_differences(fewer, demo_build.db_path) == {"customers": 1}


def test_every_registry_tag_is_compared_or_listed_as_not_covered() -> None:
    """A new tag cannot slip past the pandas and floor peers unnoticed."""
    with open(ROOT / "seeds" / "tag_registry.csv", encoding="utf-8") as handle:
        registry = {row["tag"] for row in csv.DictReader(handle)}
    assert not set(TAG_COLUMNS) & set(NOT_COVERED)
    assert set(TAG_COLUMNS) | set(NOT_COVERED) == registry


def test_tag_differences_finds_a_changed_value(dbt_tags: pd.DataFrame) -> None:
    changed = dbt_tags.copy()
    changed.iloc[0, changed.columns.get_loc("recency")] = "never?"
    assert tag_differences(changed, dbt_tags) == {"recency": 1}
    assert tag_differences(changed.iloc[1:], dbt_tags) == {"customers": 1}


def test_append_day_appends_orders_and_customers(
    demo_raw_dir: Path, tmp_path: Path
) -> None:
    day = AS_OF_DATE + dt.timedelta(days=1)
    added = append_day(demo_raw_dir, tmp_path, day, new_orders=20)
    before = pq.read_table(demo_raw_dir / "orders.parquet").to_pandas()
    after = pq.read_table(tmp_path / "orders.parquet").to_pandas()
    assert after.iloc[: len(before)].equals(before)  # append-only
    tail = after.iloc[len(before) :]
    assert len(tail) == 20 + 3 + 2 == added["orders_rows"] - len(before)
    assert (tail["order_date"].head(20) == day.isoformat()).all()
    updated = tail[tail["order_id"].isin(added["updated_orders"])]
    assert len(updated) == 3 and "refunded" in set(updated["status"])
    assert updated["updated_at"].str.startswith(day.isoformat()).all()  # newer
    for name in ("promotions", "service_interactions"):
        assert (tmp_path / f"{name}.parquet").read_bytes() == (
            demo_raw_dir / f"{name}.parquet"
        ).read_bytes()
    before = pq.read_table(demo_raw_dir / "customers.parquet").to_pandas()
    after = pq.read_table(tmp_path / "customers.parquet").to_pandas()
    assert after.iloc[: len(before)].equals(before)  # append-only
    tail = after.iloc[len(before) :]
    assert len(tail) == added["new_customers"] + 3 and added["new_customers"] >= 1
    versions = tail[tail["customer_id"].isin(added["updated_customers"])]
    assert len(versions) == 3 and (versions["employee_count"] == "650").all()
    assert tail["updated_at"].str.startswith(day.isoformat()).all()  # newer


def test_measure_reports_time_and_peak_memory_of_the_process() -> None:
    step = measure(
        "allocate",
        [
            sys.executable,
            "-c",
            "import time; b = bytearray(80 * 2**20); time.sleep(0.5)",
        ],
    )
    assert step.returncode == 0
    assert step.seconds > 0.4
    assert step.peak_rss_bytes > 80 * 2**20
    assert 0 < step.cpu_seconds < step.seconds


def test_ratios_and_table() -> None:
    seconds = {
        "dbt build (models)": 30.0,
        "floor (one DuckDB query)": 20.0,
        "pandas": 120.0,
        "dbt run --full-refresh": 28.0,
        "dbt run (incremental day)": 7.0,
    }
    assert ratios(seconds) == {
        "build_over_floor": 1.5,
        "pandas_over_build": 4.0,
        "incremental_over_full_refresh": 0.25,
    }
    result = {
        "scale": "1m",
        "orders": 1_000_000,
        "steps": {
            name: {"seconds": s, "orders_per_second": int(1e6 / s), "peak_rss_mb": 900}
            for name, s in seconds.items()
        },
        "ratios": ratios(seconds),
        "identical": True,
    }
    table = format_table([{**result, "memory_limit": "4GB"}])
    # the peak next to DuckDB's memory limit, for the steps that run under it
    assert (
        "| 1m | 1,000,000 | dbt build (models) | 30.0 | 0.0 | 33,333 | 900 |"
        " 4GB (peak 0.24x) |" in table
    )
    assert "| 1m | 1,000,000 | pandas | 120.0 | 0.0 | 8,333 | 900 | - |" in table
    assert "| 1m | 1.5 | - | - | - | 4.0 | - | - | 0.25 | - | - | yes |" in table


def test_memory_limits_and_the_100m_scale() -> None:
    assert memory_limit_bytes("4GB") == 4 * 10**9  # DuckDB: GB = 1000^3
    assert memory_limit_bytes("1.5GiB") == 3 * 2**30 // 2
    assert memory_limit_bytes("80%") is None
    # 100m as issue #22 measured it: 10 million customers, a shorter history
    assert customers_for(SCALES["100m"], "100m") == 10_000_000
    assert generator_years(SCALES["100m"], "100m") == pytest.approx(2.1429)
    assert generator_years(SCALES["10m"], "10m") == pytest.approx(3.0, abs=1e-3)


def test_cli_rejects_an_unknown_scale(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        benchmark_cli.main(["--scales", "100k,5m"])
    assert "choose from 100k, 1m, 10m" in capsys.readouterr().err
