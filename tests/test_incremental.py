"""Incremental daily runs give the same warehouse as a full refresh.

Starting from the demo warehouse (built as of AS_OF), one more day of orders is
appended to the orders file, with new versions of orders already loaded (one
refunded, one with a new amount and cost, one moved to the day before in
another category), a late-arriving order and a future one; and new customers and
new versions of loaded customers to the customers file. An incremental `dbt run`
as of the next day must equal a `--full-refresh` build of the same data in every
mart (and in the clean and rejected orders and customers); so must a back-dated
incremental run, and so must a run after any change to how loaded rows parse: an
orders row edited far up the file, a new WAREHOUSE_TIMEZONE, a new order status
alias, a truncated orders file, a rewritten customers file, an older warehouse
(each is parsed again in full, by itself)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_helpers import AS_OF, SMALL_DATA_VARS, DbtRun, run_dbt

from tag_warehouse.devtools.benchmark import append_day, mart_differences
from tag_warehouse.marts import TAG_MARTS

NEXT_DAY = dt.date.fromisoformat(AS_OF) + dt.timedelta(days=1)
# The six tag marts and everything upstream (the tag operations models are not
# order-grain work and are left out to keep the test short).
MARTS = [f"+{mart}" for mart in TAG_MARTS]
STAGING = (
    "stg_crm__orders",
    "stg_crm__orders_rejected",
    "base_crm__orders",
    "stg_crm__customers",
    "stg_crm__customers_rejected",
)
SELECTION = [*MARTS, "stg_crm__orders_rejected", "stg_crm__customers_rejected"]
# Every run here leaves the CLV fits out (ltv and churn_risk unknown on both sides
# of each comparison): they read the loaded orders like any mart, and refitting
# them in each run would only make the test longer (tests/test_clv.py has them).
VARS = SMALL_DATA_VARS
MARKER = "zz_not_parsed_again"


def staging_differences(left: Path, right: Path) -> dict[str, int]:
    out = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        for model in STAGING:
            count = con.execute(
                f"select count(*) from ((select * from l.staging.{model} except all"
                f" select * from r.staging.{model}) union all (select * from"
                f" r.staging.{model} except all select * from l.staging.{model}))"
            ).fetchone()
            if count and count[0]:
                out[model] = int(count[0])
    return out


# The state incremental runs keep beside the parsed rows, without the columns
# that differ by design (the watermark, when a row was loaded); None: every other
# column, by name (a table brought to new columns has another column order).
KEPT_STATE = {
    "staging.base_crm__order_versions": (
        "_source_row, order_id, customer_id, order_date, product_category, amount,"
        " cost, status, updated_at, version_rank, version_count"
    ),
    "staging.base_crm__customers": None,
}
# The last clean customer row of the demo file: no appended row touches it.
LAST_CLEAN_CUSTOMER = (
    "select max(_source_row) from staging.base_crm__customers"
    " where row_status = 'clean'"
)


def kept_state_differences(
    left: Path, right: Path, tables: tuple[str, ...] = tuple(KEPT_STATE)
) -> dict[str, int]:
    out = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        for table in tables:
            columns = KEPT_STATE[table] or ", ".join(
                sorted(
                    name
                    for (name,) in con.execute(
                        "select column_name from information_schema.columns"
                        " where table_catalog = 'l' and table_schema || '.' ||"
                        f" table_name = '{table}' and column_name != '_loaded_at'"
                    ).fetchall()
                )
            )
            sides = [f"select {columns} from {db}.{table}" for db in "lr"]
            count = con.execute(
                f"select count(*) from (({sides[0]} except all {sides[1]})"
                f" union all ({sides[1]} except all {sides[0]}))"
            ).fetchone()
            if count and count[0]:
                out[table] = int(count[0])
    return out


@pytest.fixture(scope="module")
def next_day_raw(demo_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw_next_day")
    append_day(demo_raw_dir, raw, NEXT_DAY, new_orders=30)
    return raw


@pytest.fixture(scope="module")
def incremental(
    demo_build: DbtRun, next_day_raw: Path, tmp_path_factory: pytest.TempPathFactory
) -> DbtRun:
    """The demo warehouse, then an incremental run on the appended file."""
    workdir = tmp_path_factory.mktemp("incremental")
    shutil.copyfile(demo_build.db_path, workdir / "warehouse.duckdb")
    with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
        # A stored row an incremental run must not parse again (a full refresh
        # would): proves only the appended rows were read.
        con.execute(
            "update staging.base_crm__orders_parsed"
            f" set raw_status_if_different = '{MARKER}'"
            " where _source_row = (select min(_source_row)"
            " from staging.base_crm__orders_parsed"
            " where row_reject_reason = 'bad_status')"
        )
        con.execute(
            f"update staging.base_crm__customers set city = '{MARKER}'"
            f" where _source_row = ({LAST_CLEAN_CUSTOMER})"
        )
    run = run_dbt(
        ["run", "--select", *SELECTION],
        workdir,
        next_day_raw,
        NEXT_DAY.isoformat(),
        VARS,
    )
    assert run.success, run.log
    return run


def full_refresh(raw: Path, workdir: Path, as_of: str) -> DbtRun:
    run = run_dbt(
        ["build", "--full-refresh", "--select", *SELECTION, "--exclude",
         "resource_type:test", "resource_type:unit_test"],
        workdir, raw, as_of, VARS,
    )  # fmt: skip
    assert run.success, run.log
    return run


def test_incremental_day_equals_full_refresh(
    incremental: DbtRun, next_day_raw: Path, tmp_path: Path
) -> None:
    full = full_refresh(next_day_raw, tmp_path, NEXT_DAY.isoformat())
    assert mart_differences(incremental.db_path, full.db_path) == {}
    assert "in full" not in incremental.log and "whole" not in incremental.log
    # the marker rows were not parsed again: the customer keeps its marked city, the
    # rejected order its marked raw text; nothing else differs
    assert kept_state_differences(incremental.db_path, full.db_path) == {
        "staging.base_crm__customers": 2
    }
    assert staging_differences(incremental.db_path, full.db_path) == {
        "stg_crm__orders_rejected": 2,
        "base_crm__orders": 2,
        "stg_crm__customers": 2,
    }
    assert (
        incremental.scalar(
            f"select count(*) from staging.stg_crm__customers where city = '{MARKER}'"
        )
        == 1
    )
    assert (
        incremental.scalar(
            f"select count(*) from staging.stg_crm__orders_rejected"
            f" where raw_status = '{MARKER}'"
        )
        == 1
    )
    rows = pq.ParquetFile(next_day_raw / "orders.parquet").metadata.num_rows
    assert incremental.scalar("select count(*) from staging.base_crm__orders") == rows
    rows = pq.ParquetFile(next_day_raw / "customers.parquet").metadata.num_rows
    customers = "select count(*) from staging.base_crm__customers"
    assert incremental.scalar(customers) == rows


def test_new_customer_versions_supersede_the_loaded_ones(incremental: DbtRun) -> None:
    statuses = incremental.query(
        "select employee_count, row_status from staging.base_crm__customers"
        " where customer_id = 'C00000001' order by _source_row"
    )
    assert statuses[-1] == (650, "clean")
    assert "superseded" in {status for _, status in statuses[:-1]}
    new = NEXT_DAY.strftime("N%Y%m%d")
    assert (
        incremental.scalar(
            "select count(*) from marts.customer_tags_basic"
            f" where customer_id like '{new}%'"
        )
        >= 1
    )


def test_updated_and_late_orders_count(incremental: DbtRun) -> None:
    statuses = dict(
        incremental.query(
            "select order_id, status from staging.stg_crm__orders"
            " where order_id in ('O000000001', 'O000000002', 'O000000003')"
        )
    )
    assert "refunded" in statuses.values()
    superseded = incremental.scalar(
        "select count(*) from staging.base_crm__orders where row_status = 'superseded'"
        " and order_id in ('O000000001', 'O000000002', 'O000000003')"
    )
    assert superseded >= 3
    late = NEXT_DAY.strftime("L%Y%m%d")
    assert (
        incremental.scalar(
            f"select count(*) from staging.stg_crm__orders where order_id = '{late}'"
        )
        == 1
    )
    future = NEXT_DAY.strftime("F%Y%m%d")
    assert incremental.query(
        "select reject_reason from staging.stg_crm__orders_rejected"
        f" where raw_order_id = '{future}'"
    ) == [("future_date",)]


def test_back_dated_incremental_run_equals_full_refresh(
    incremental: DbtRun, next_day_raw: Path, tmp_path: Path
) -> None:
    back = (NEXT_DAY - dt.timedelta(days=40)).isoformat()
    again = run_dbt(
        ["run", "--select", *SELECTION],
        incremental.db_path.parent,
        next_day_raw,
        back,
        VARS,
    )
    assert again.success, again.log
    full = full_refresh(next_day_raw, tmp_path, back)
    assert mart_differences(again.db_path, full.db_path) == {}


def reload_run(warehouse: Path, raw: Path, workdir: Path, *flags: str) -> DbtRun:
    """`dbt run <flags> --select SELECTION` on a copy of a warehouse file."""
    workdir.mkdir(parents=True)
    shutil.copyfile(warehouse, workdir / "warehouse.duckdb")
    command = ["run", *flags, "--select", *SELECTION]
    run = run_dbt(command, workdir, raw, NEXT_DAY.isoformat(), VARS)
    assert run.success, run.log
    return run


def assert_equals_full_refresh(
    run: DbtRun, full: DbtRun, customers_parsed_again: bool
) -> None:
    """The orders were parsed again (the test's marked order is gone); so were the
    customers when their parsing changed too, else only the test's marked customer
    differs."""
    assert mart_differences(run.db_path, full.db_path) == {}
    marked = {} if customers_parsed_again else {"staging.base_crm__customers": 2}
    assert kept_state_differences(run.db_path, full.db_path) == marked
    marked = {} if customers_parsed_again else {"stg_crm__customers": 2}
    assert staging_differences(run.db_path, full.db_path) == marked
    assert run.scalar(ORDER_MARKERS) == 0


ORDER_MARKERS = (
    "select count(*) from staging.base_crm__orders_parsed"
    f" where raw_status_if_different = '{MARKER}'"
)
EDITED_ROW = 5
# A zone offset: parsed to another wall-clock time in another time zone.
EDITED_UPDATED_AT = "2026-01-15T23:30:00+08:00"


@pytest.fixture(scope="module")
def edited_raw(next_day_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The appended files with one orders row far up the file edited in place."""
    raw = tmp_path_factory.mktemp("raw_edited")
    shutil.copytree(next_day_raw, raw, dirs_exist_ok=True)
    orders = pq.read_table(raw / "orders.parquet")
    rows = orders.to_pylist()
    row = rows[EDITED_ROW - 1]
    row["amount"] = f"{float(row['amount'] or 0) + 1000:.2f}"
    row["updated_at"] = EDITED_UPDATED_AT
    pq.write_table(
        pa.Table.from_pylist(rows, schema=orders.schema), raw / "orders.parquet"
    )
    return raw


@pytest.fixture(scope="module")
def edited(
    incremental: DbtRun, edited_raw: Path, tmp_path_factory: pytest.TempPathFactory
) -> DbtRun:
    return reload_run(
        incremental.db_path, edited_raw, tmp_path_factory.mktemp("edited") / "w"
    )


def test_orders_row_edited_far_up_is_parsed_again(
    edited: DbtRun, edited_raw: Path, tmp_path: Path
) -> None:
    """Row 5 of thousands, edited in place: far before the last loaded row."""
    assert edited.scalar("select count(*) from staging.base_crm__orders") > 20_000
    assert (
        f"1 loaded row(s) of the orders file changed, moved or disappeared, the"
        f" first at _source_row {EDITED_ROW}: parsing the whole orders file again"
    ) in edited.log
    assert "base_crm__order_versions: base_crm__orders_parsed was parsed" in edited.log
    full = full_refresh(edited_raw, tmp_path, NEXT_DAY.isoformat())
    assert_equals_full_refresh(edited, full, customers_parsed_again=False)
    assert (
        edited.scalar(
            "select raw_updated_at from staging.base_crm__orders"
            f" where _source_row = {EDITED_ROW}"
        )
        == EDITED_UPDATED_AT
    )


def test_time_zone_change_parses_loaded_rows_again(
    edited: DbtRun,
    edited_raw: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAREHOUSE_TIMEZONE", "Asia/Shanghai")
    again = reload_run(edited.db_path, edited_raw, tmp_path / "w")
    assert "every loaded row parses differently now" in again.log
    full = full_refresh(edited_raw, tmp_path / "full", NEXT_DAY.isoformat())
    assert_equals_full_refresh(again, full, customers_parsed_again=True)
    updated_at = (
        "select cast(updated_at as varchar) from staging.base_crm__orders"
        f" where _source_row = {EDITED_ROW}"
    )
    assert edited.scalar(updated_at) == "2026-01-15 15:30:00"
    assert again.scalar(updated_at) == "2026-01-15 23:30:00"


def test_status_alias_change_parses_loaded_rows_again(
    incremental: DbtRun, next_day_raw: Path, tmp_path: Path
) -> None:
    """A seed row that changes how loaded orders parse (the alias `complete` now
    means cancelled); the seed table is edited in the warehouse, as `dbt seed`
    after an edit of seeds/code_aliases.csv would."""
    warehouse = tmp_path / "seeded.duckdb"
    shutil.copyfile(incremental.db_path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update reference.code_aliases set code = 'cancelled'"
            " where domain = 'order_status' and alias = 'complete'"
        )
    again = reload_run(warehouse, next_day_raw, tmp_path / "w")
    assert "base_crm__orders_parsed: every loaded row parses differently" in again.log
    full = reload_run(warehouse, next_day_raw, tmp_path / "full", "--full-refresh")
    # the customers read the same seed: parsed again too
    assert_equals_full_refresh(again, full, customers_parsed_again=True)
    statuses = (
        "select count(*) from staging.base_crm__orders"
        " where status_key = 'complete' and status = 'cancelled'"
    )
    assert incremental.scalar(statuses) == 0
    assert again.scalar(statuses) > 0


def test_truncated_orders_file_is_parsed_again(
    incremental: DbtRun, next_day_raw: Path, tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(next_day_raw, raw)
    orders = pq.read_table(raw / "orders.parquet")
    pq.write_table(orders.slice(0, orders.num_rows - 100), raw / "orders.parquet")
    again = reload_run(incremental.db_path, raw, tmp_path / "w")
    assert "100 loaded row(s) of the orders file changed" in again.log
    full = full_refresh(raw, tmp_path / "full", NEXT_DAY.isoformat())
    assert_equals_full_refresh(again, full, customers_parsed_again=False)
    assert again.scalar("select count(*) from staging.base_crm__orders") == (
        orders.num_rows - 100
    )


def test_rewritten_customers_file_is_parsed_again(
    incremental: DbtRun, next_day_raw: Path, tmp_path: Path
) -> None:
    """A customers file edited in place (a CRM snapshot export) and shorter than
    the loaded one: the whole file is parsed again, and rows past its end go."""
    raw = tmp_path / "raw"
    shutil.copytree(next_day_raw, raw)
    customers = pq.read_table(raw / "customers.parquet").to_pylist()
    customers[0]["industry"] = "healthcare"
    edited = pa.Table.from_pylist(customers[:-2], schema=pq.read_schema(
        raw / "customers.parquet"))  # fmt: skip
    pq.write_table(edited, raw / "customers.parquet")
    selection = ["+base_crm__customers", "stg_crm__customers_rejected"]
    workdir = tmp_path / "w"
    workdir.mkdir()
    shutil.copyfile(incremental.db_path, workdir / "warehouse.duckdb")
    again = run_dbt(
        ["run", "--select", *selection], workdir, raw, NEXT_DAY.isoformat(), VARS
    )
    assert again.success, again.log
    full = run_dbt(
        ["build", "--full-refresh", "--select", *selection, "--exclude",
         "resource_type:test", "resource_type:unit_test"],
        tmp_path / "full", raw, NEXT_DAY.isoformat(), VARS,
    )  # fmt: skip
    assert full.success, full.log
    customers = ("staging.base_crm__customers",)
    assert kept_state_differences(again.db_path, full.db_path, customers) == {}
    assert again.scalar("select count(*) from staging.base_crm__customers") == len(
        edited
    )
    assert again.query(
        "select industry from staging.base_crm__customers where _source_row = 1"
    ) == [("healthcare",)]


def test_tables_of_an_older_warehouse_are_parsed_again(
    incremental: DbtRun, next_day_raw: Path, tmp_path: Path
) -> None:
    """Customers and orders tables stored by an older version of the models (no
    fingerprints, another column) are built again in full with the new columns,
    with no --full-refresh."""
    workdir = tmp_path / "w"
    workdir.mkdir()
    shutil.copyfile(incremental.db_path, workdir / "warehouse.duckdb")
    with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
        con.execute("alter table staging.base_crm__customers drop _row_fingerprint")
        con.execute("alter table staging.base_crm__customers add _source_file text")
        con.execute(f"update staging.base_crm__customers set city = '{MARKER}'")
        for table, column in (
            ("base_crm__orders_parsed", "_row_fingerprint"),
            ("base_crm__order_versions", "_parsed_at"),
        ):
            con.execute(f"alter table staging.{table} drop {column}")
            con.execute(f"update staging.{table} set amount = -1")
    selection = [
        "base_crm__customers",
        "stg_crm__customers",
        "base_crm__orders_parsed",
        "base_crm__order_versions",
    ]
    again = run_dbt(
        ["run", "--select", *selection],
        workdir,
        next_day_raw,
        NEXT_DAY.isoformat(),
        VARS,
    )
    assert again.success, again.log
    customers = ("staging.base_crm__customers",)
    assert kept_state_differences(again.db_path, incremental.db_path, customers) == {
        "staging.base_crm__customers": 2
    }  # the test's marked customer, parsed now
    assert (
        again.scalar(
            f"select count(*) from staging.base_crm__customers where city = '{MARKER}'"
        )
        == 0
    )
    tables = ("staging.base_crm__order_versions",)
    assert kept_state_differences(again.db_path, incremental.db_path, tables) == {}
    for table in ("base_crm__orders_parsed", "base_crm__order_versions"):
        assert (
            again.scalar(f"select count(*) from staging.{table} where amount = -1") == 0
        )
