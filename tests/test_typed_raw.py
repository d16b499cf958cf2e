"""Typed Parquet raw files (issue #22): staging reads a column that already has
its contract type as a value and only checks it; the same generated data written
typed and as text builds the same marts and rejects the same rows alike."""

from __future__ import annotations

import datetime as dt
import shutil
import zoneinfo
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dbt_helpers import AS_OF, MODELS_ONLY, DbtRun, generated_raw, run_dbt

from tag_warehouse.devtools.benchmark import (
    append_day,
    floor_tags,
    mart_differences,
    marts_tags,
    tag_differences,
)
from tag_warehouse.devtools.generate import TYPED_COLUMNS, Format
from tag_warehouse.devtools.pandas_tags import pandas_tags
from tag_warehouse.devtools.polars_tags import polars_tags

TABLES = ("customers", "orders", "promotions", "service_interactions")
ZONE = "Asia/Shanghai"


@pytest.fixture(scope="module")
def raw_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small dirty data set, written as text Parquet and as typed Parquet."""
    dirs = {}
    fmt: Format
    for fmt in ("parquet", "typed"):
        dirs[fmt] = tmp_path_factory.mktemp(f"raw_{fmt}")
        generated_raw(dirs[fmt], 300, 11, 0.05, fmt)
    return dirs


@pytest.fixture(scope="module")
def builds(
    raw_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, DbtRun]:
    runs = {}
    for fmt, raw in raw_dirs.items():
        run = run_dbt(["build", *MODELS_ONLY], tmp_path_factory.mktemp(fmt), raw)
        assert run.success, run.log
        runs[fmt] = run
    return runs


def test_typed_columns_are_read_as_values(builds: dict[str, DbtRun]) -> None:
    def typed_columns(run: DbtRun) -> set[str]:
        return {
            f"{table}.{column}"
            for table, column in run.query(
                "select table_name, column_name from information_schema.columns"
                " where table_schema = 'raw' and column_name like '\\_typed\\_%'"
                " escape '\\'"
            )
        }

    assert typed_columns(builds["parquet"]) == set()
    assert typed_columns(builds["typed"]) == {
        "customers._typed_employee_count",
        "customers._typed_created_at",
        "customers._typed_updated_at",
        "orders._typed_order_date",
        "orders._typed_amount",
        "orders._typed_cost",
        "orders._typed_updated_at",
        "promotions._typed_start_date",
        "promotions._typed_end_date",
        "promotions._typed_discount_rate",
        "service_interactions._typed_occurred_at",
        "service_interactions._typed_satisfaction",
    }
    compiled = (
        builds["typed"].target_path
        / "compiled/customer_tags/models/staging/crm/base"
        / "base_crm__orders_parsed.sql"
    ).read_text(encoding="utf-8")
    assert "try_cast(_typed_amount as decimal(18, 4))" in compiled
    assert "_typed_order_date" in compiled
    assert "try_strptime" not in compiled  # no column of it is parsed as a date


def test_typed_and_text_build_the_same_marts(builds: dict[str, DbtRun]) -> None:
    assert mart_differences(builds["typed"].db_path, builds["parquet"].db_path) == {}


def test_typed_and_text_reject_and_reconcile_alike(builds: dict[str, DbtRun]) -> None:
    """Malformed dirt is null in the typed file (generate.typed_table): the
    required columns reject it with the same reason as the text."""

    def counts(run: DbtRun, table: str) -> list[tuple[object, ...]]:
        return sorted(
            run.query(
                "select row_status, reject_reason, reject_column, count(*),"
                " count(distinct _source_row) from staging.base_crm__"
                + table
                + " group by all"
            ),
            key=str,
        )

    for table in TABLES:
        typed = counts(builds["typed"], table)
        assert typed == counts(builds["parquet"], table), table
        raw_rows = builds["typed"].scalar(f"select count(*) from raw.{table}")
        assert sum(row[3] for row in typed) == raw_rows, table
    rejected = builds["typed"].scalar(
        "select count(*) from staging.base_crm__orders where row_status = 'rejected'"
    )
    assert rejected > 0


def test_timestamptz_follows_warehouse_timezone(
    raw_dirs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A TIMESTAMP WITH TIME ZONE column is read in WAREHOUSE_TIMEZONE, as its
    text with an offset is: 20:00 UTC is the next day in Shanghai."""
    raw = tmp_path / "raw"
    shutil.copytree(raw_dirs["typed"], raw)
    promotions = pq.read_table(raw / "promotions.parquet")
    late = promotions.column("start_date").cast(pa.timestamp("s"))
    late = pc.add(late, pa.scalar(dt.timedelta(hours=20))).cast(
        pa.timestamp("s", tz="UTC")
    )
    position = promotions.column_names.index("start_date")
    pq.write_table(
        promotions.set_column(position, "start_date", late), raw / "promotions.parquet"
    )
    monkeypatch.setenv("WAREHOUSE_TIMEZONE", ZONE)
    run = run_dbt(["run", "--select", "base_crm__promotions"], tmp_path / "w", raw)
    assert run.success, run.log
    zone = zoneinfo.ZoneInfo(ZONE)
    expected = {
        row: instant.astimezone(zone).date()
        for row, instant in enumerate(late.to_pylist(), start=1)
        if instant is not None
    }
    found = dict(
        run.query(
            "select _source_row, start_date from staging.base_crm__promotions"
            " where start_date is not null"
        )
    )
    assert found == expected
    utc_dates = {
        row: instant.date()
        for row, instant in enumerate(late.to_pylist(), start=1)
        if instant is not None
    }
    assert all(found[row] == utc_dates[row] + dt.timedelta(days=1) for row in found)


def test_benchmark_peers_equal_the_marts_on_typed_data(
    raw_dirs: dict[str, Path], builds: dict[str, DbtRun], tmp_path: Path
) -> None:
    """The floor, pandas and Polars read typed Parquet too; an appended day keeps
    the file's types (tag_warehouse/devtools/benchmark.py)."""
    as_of = dt.date.fromisoformat(AS_OF)
    dbt_tags = marts_tags(builds["typed"].db_path)
    typed_floor = partial(floor_tags, typed_native=True)
    for peer in (floor_tags, typed_floor, pandas_tags, polars_tags):
        assert tag_differences(peer(raw_dirs["typed"], as_of), dbt_tags) == {}, peer
    with pytest.raises(ValueError, match="typed-native floor reads typed Parquet"):
        typed_floor(raw_dirs["parquet"], as_of)
    append_day(raw_dirs["typed"], tmp_path, as_of + dt.timedelta(days=1), 20)
    for table in ("customers", "orders"):
        loaded = pq.read_table(raw_dirs["typed"] / f"{table}.parquet")
        appended = pq.read_table(tmp_path / f"{table}.parquet")
        typed = {f.name for f in appended.schema if not pa.types.is_string(f.type)}
        assert typed == set(TYPED_COLUMNS) & set(appended.schema.names), table
        # the loaded rows unchanged (an incremental run appends, parses nothing
        # again), the appended ones typed: their timestamps are not dropped as
        # malformed text
        assert appended.slice(0, loaded.num_rows).equals(loaded), table
        new_rows = appended.slice(loaded.num_rows)
        assert new_rows.column("updated_at").null_count == 0, table
        if table == "customers":
            assert new_rows.column("created_at").null_count == 0
