"""Staging on the hand-planted dirty fixture: every planted row ends where it must."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import FIXTURES, MODELS_ONLY, SMALL_DATA_VARS, DbtRun, run_dbt

TABLES = ["customers", "orders", "promotions", "service_interactions"]

EXPECTED_REJECTS = {
    "customers": {
        "null_key": 2,
        "bad_timestamp": 1,
        "bad_number": 1,
        "out_of_range": 1,
    },
    "orders": {
        "orphan_customer": 3,
        "future_date": 1,
        "negative_amount": 1,
        "bad_number": 1,
        "bad_status": 1,
        "null_key": 1,
        "bad_date": 1,
        "bad_timestamp": 1,
    },
    "promotions": {
        "bad_date_range": 1,
        "out_of_range": 1,
        "bad_date": 1,
        "null_key": 1,
        "bad_number": 1,
    },
    "service_interactions": {
        "out_of_range": 1,
        "orphan_customer": 1,
        "future_date": 1,
        "bad_timestamp": 1,
        "null_key": 1,
        "bad_number": 1,
    },
}
EXPECTED_CLEAN = {
    "customers": 6,
    "orders": 6,
    "promotions": 2,
    "service_interactions": 3,
}
EXPECTED_SUPERSEDED = {
    "customers": 2,
    "orders": 2,
    "promotions": 1,
    "service_interactions": 1,
}


@pytest.mark.parametrize("table", TABLES)
def test_reject_reasons_are_exact(dirty_build: DbtRun, table: str) -> None:
    rows = dirty_build.query(
        f"select reject_reason, count(*) from staging.stg_crm__{table}_rejected"
        " group by reject_reason"
    )
    assert dict(rows) == EXPECTED_REJECTS[table]


@pytest.mark.parametrize("table", TABLES)
def test_every_raw_row_is_accounted_for(dirty_build: DbtRun, table: str) -> None:
    raw = dirty_build.scalar(f"select count(*) from raw.{table}")
    clean = dirty_build.scalar(f"select count(*) from staging.stg_crm__{table}")
    superseded = dirty_build.scalar(
        f"select count(*) from staging.base_crm__{table}"
        " where row_status = 'superseded'"
    )
    rejected = sum(EXPECTED_REJECTS[table].values())
    assert (clean, superseded) == (EXPECTED_CLEAN[table], EXPECTED_SUPERSEDED[table])
    assert raw == clean + rejected + superseded


def test_rejects_point_at_file_row_and_column(dirty_build: DbtRun) -> None:
    row = dirty_build.query(
        "select _source_file, _source_row, reject_column, raw_amount"
        " from staging.stg_crm__orders_rejected where reject_reason = 'bad_number'"
    )[0]
    assert row[0].endswith("raw_dirty/orders.csv")
    # line 8 of the file (line 1 is the header)
    assert row[1:] == (8, "amount", "abc")


def test_latest_version_wins(dirty_build: DbtRun) -> None:
    assert (
        dirty_build.scalar(
            "select employee_count from staging.stg_crm__customers"
            " where customer_id = 'C002'"
        )
        == 600
    )
    assert (
        dirty_build.scalar(
            "select status from staging.stg_crm__orders where order_id = 'O011'"
        )
        == "refunded"
    )


def test_codes_are_normalised(dirty_build: DbtRun) -> None:
    customers = dict(
        (row[0], row[1:])
        for row in dirty_build.query(
            "select customer_id, customer_type, industry, region, decision_role"
            " from staging.stg_crm__customers"
        )
    )
    assert customers["C001"] == ("individual", "other", "east_china", "decision_maker")
    assert customers["C003"] == (
        "government",
        "public_sector",
        "north_china",
        "purchaser",
    )
    assert customers["C007"] == ("other", "other", "other", "unknown")
    assert customers["C009"] == ("enterprise", "technology", "southwest", "purchaser")
    orders = dict(
        dirty_build.query(
            "select order_id, product_category || '/' || status"
            " from staging.stg_crm__orders"
        )
    )
    assert orders["O001"] == "electronics/completed"
    assert orders["O002"] == "office_supplies/completed"
    assert orders["O015"] == "furniture/completed"
    channels = dict(
        dirty_build.query(
            "select interaction_id, channel || '/' || interaction_type"
            " from staging.stg_crm__service_interactions"
        )
    )
    assert channels == {
        "S001": "phone/complaint",
        "S002": "online/consultation",
        "S008": "other/other",
    }


def test_values_are_parsed(dirty_build: DbtRun) -> None:
    amount, updated_at, order_date = dirty_build.query(
        "select amount, cast(updated_at as varchar), cast(order_date as varchar)"
        " from staging.stg_crm__orders where order_id = 'O001'"
    )[0]
    assert float(amount) == 1200.50
    assert updated_at == "2026-06-01 04:00:00"  # +08:00 converted to UTC
    assert order_date == "2026-06-01"
    dates = dict(
        dirty_build.query(
            "select order_id, cast(order_date as varchar) from staging.stg_crm__orders"
            " where order_id in ('O002', 'O003')"
        )
    )
    assert dates == {"O002": "2026-06-02", "O003": "2026-06-03"}
    created = dirty_build.scalar(
        "select cast(created_at as varchar) from staging.stg_crm__customers"
        " where customer_id = 'C009'"
    )
    assert created == "2026-03-05 00:00:00"


def test_no_pii_past_staging(dirty_build: DbtRun) -> None:
    columns = {
        name
        for (name,) in dirty_build.query(
            "select distinct column_name from information_schema.columns"
            " where table_schema in ('staging', 'intermediate', 'marts')"
        )
    }
    assert not columns & {"customer_name", "phone", "email", "raw_phone", "raw_email"}
    names = dirty_build.scalar(
        "select count(*) from staging.base_crm__customers"
        " where raw_customer_id = 'C008' and raw_city like '%drop%'"
    )
    assert names == 0


def test_unknown_promotion_keeps_the_order(dirty_build: DbtRun) -> None:
    assert (
        dirty_build.scalar(
            "select promo_order_count"
            " from intermediate.int_customers_promo_share_computed"
            " where customer_id = 'C003'"
        )
        == 0
    )


def copy_fixture(tmp_path: Path) -> Path:
    raw_dir = tmp_path / "raw"
    shutil.copytree(FIXTURES / "raw_dirty", raw_dir)
    return raw_dir


def test_missing_file_stops_with_its_name(tmp_path: Path) -> None:
    raw_dir = copy_fixture(tmp_path)
    (raw_dir / "promotions.csv").unlink()
    run = run_dbt(["build"], tmp_path / "work", raw_dir)
    assert not run.success
    assert f"{raw_dir}/promotions.parquet or {raw_dir}/promotions.csv" in run.log


def test_missing_column_stops_with_file_and_column(tmp_path: Path) -> None:
    raw_dir = copy_fixture(tmp_path)
    orders = raw_dir / "orders.csv"
    duckdb.sql(
        f"copy (select * exclude (cost) from read_csv('{orders}', all_varchar=true))"
        f" to '{tmp_path / 'o.csv'}' (header)"
    )
    shutil.move(tmp_path / "o.csv", orders)
    run = run_dbt(["build"], tmp_path / "work", raw_dir)
    assert not run.success
    assert f"Raw file {orders} is missing required column(s): cost" in run.log


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"as_of_date": "yesterday"}, "as_of_date must be a date written YYYY-MM-DD"),
        (
            {"as_of_date": "2026-02-30"},
            "as_of_date '2026-02-30' is not a calendar date",
        ),
        ({"m_high": "lots"}, "m_high must be a number"),
        ({"m_high": 5000}, "m_medium (10000) must be below m_high (5000)"),
    ],
)
def test_bad_vars_stop_before_any_sql(
    tmp_path: Path, variables: dict[str, object], message: str
) -> None:
    as_of = str(variables.pop("as_of_date", "2026-06-30"))
    run = run_dbt(
        ["build"],
        tmp_path,
        FIXTURES / "raw_dirty",
        as_of=as_of,
        extra_vars=variables,
        stops_at_var_check=True,
    )
    assert not run.success
    assert message in run.log


class Yaml(str):
    """A var value written as YAML (`.nan`, `.inf`): run_dbt passes the repr."""

    def __repr__(self) -> str:
        return str(self)


def test_non_finite_and_fractional_thresholds_are_listed_together(
    tmp_path: Path,
) -> None:
    variables = {
        "window_days": 30.5,
        "complaints_multiple_min": 2.5,
        "frequency_high_min_orders": Yaml(".nan"),
        "recency_d31_90_max_days": Yaml("-.inf"),
        "m_high": Yaml(".nan"),
        "ltv_high_above": Yaml(".inf"),
        "profit_high_above": 0.35,  # a share: need not be whole
    }
    run = run_dbt(
        ["build"],
        tmp_path,
        FIXTURES / "raw_dirty",
        extra_vars=variables,
        stops_at_var_check=True,
    )
    assert not run.success
    for problem in [
        "window_days must be a whole number, got 30.5",
        "complaints_multiple_min must be a whole number, got 2.5",
        "frequency_high_min_orders must be a finite whole number, got nan",
        "recency_d31_90_max_days must be a finite whole number, got -inf",
        "m_high must be a finite number, got nan",
        "ltv_high_above must be a finite number, got inf",
    ]:
        assert f"  - {problem}\n" in run.log + "\n", run.log
    # One message: every problem above, and no band-order noise from the bad ones.
    assert run.log.count("Invalid dbt vars") == 1
    assert "profit_high_above" not in run.log
    assert "must be below" not in run.log


def test_parquet_input_gives_the_same_result(
    tmp_path: Path, dirty_build: DbtRun
) -> None:
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    for table in TABLES:
        source = FIXTURES / "raw_dirty" / f"{table}.csv"
        duckdb.sql(
            f"copy (select * from read_csv('{source}', all_varchar=true))"
            f" to '{raw_dir / table}.parquet'"
        )
    run = run_dbt(
        ["build", "--select", "+customer_tags_value", *MODELS_ONLY],
        tmp_path / "work",
        raw_dir,
        extra_vars=SMALL_DATA_VARS,
    )
    assert run.success, run.log
    query = (
        "select order_id, customer_id, order_date, amount, status"
        " from staging.stg_crm__orders order by order_id"
    )
    assert run.query(query) == dirty_build.query(query)
    tags = "select * from marts.customer_tags_value order by customer_id"
    assert run.query(tags) == dirty_build.query(tags)
