"""Bad input, planted in an otherwise clean raw directory: each case ends exactly where
the contract says (clean, rejected with its reason, or a build stopped with a message
naming the file), and every raw row stays accounted for."""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import (
    MODELS_ONLY,
    SMALL_DATA_VARS,
    WITHOUT_UNIT_TESTS,
    DbtRun,
    generated_raw,
    run_dbt,
)

TABLES = ["customers", "orders", "promotions", "service_interactions"]
INJECTION_NAME = "O'Brien \"Bob\"; '; drop table x; --"
LONG_CITY = "杭州😀" * 5000  # 10,000 characters, Chinese and emoji


def append_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """Append rows to a CSV, in the file's own column order."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in header})


def first_row(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.DictReader(handle))


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small clean raw directory in CSV (60 customers)."""
    raw_dir = tmp_path_factory.mktemp("clean_raw")
    generated_raw(raw_dir, customers=60, seed=11, dirty_rate=0.0, fmt="csv")
    return raw_dir


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory, clean_dir: Path) -> DbtRun:
    """Every row-level case planted at once, then one build."""
    raw_dir = tmp_path_factory.mktemp("planted_raw")
    for table in TABLES:
        shutil.copy(clean_dir / f"{table}.csv", raw_dir / f"{table}.csv")

    customers = raw_dir / "customers.csv"
    template = first_row(customers)
    # UTF-8 byte order mark in front of the header
    customers.write_bytes(b"\xef\xbb\xbf" + customers.read_bytes())
    append_rows(
        customers,
        [
            {**template, "customer_id": "BAD_INJECT", "customer_name": INJECTION_NAME},
            {**template, "customer_id": "BAD_LONG", "city": LONG_CITY},
            {**template, "customer_id": "BAD_DUP", "updated_at": "2026-01-01"},
            {**template, "customer_id": "BAD_DUP", "updated_at": "2026-01-01"},
        ],
    )
    orders = raw_dir / "orders.csv"
    order = {
        **first_row(orders),
        "customer_id": "BAD_INJECT",
        "order_date": "2026-06-01",
        "amount": "100",
        "cost": "60",
        "status": "completed",
    }
    append_rows(
        orders,
        [
            {**order, "order_id": "BAD_TEXT_AMOUNT", "amount": "12abc"},
            {**order, "order_id": "BAD_TZ", "updated_at": "2026-06-01T23:30:00+08:00"},
            {**order, "order_id": "BAD_NO_TZ", "updated_at": "2026-06-01 23:30:00"},
            {**order, "order_id": "BAD_SLASH_DATE", "order_date": "2026/3/5"},
            {**order, "order_id": "BAD_COMPACT_DATE", "order_date": "20260305"},
            {**order, "order_id": "BAD_THOUSANDS", "amount": "1,234.50"},
            {**order, "order_id": "BAD_FUTURE", "order_date": "2026-07-01"},
            {**order, "order_id": "BAD_DELETED_CUSTOMER", "customer_id": "C_GONE"},
            {**order, "order_id": "BAD_EXACT_DUP", "amount": "10"},
            {**order, "order_id": "BAD_EXACT_DUP", "amount": "10"},
        ],
    )
    # a promotions file of only bad rows (each ends before it starts)
    promotions = raw_dir / "promotions.csv"
    with promotions.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with promotions.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {**row, "start_date": "2026-06-10", "end_date": "2026-06-01"}
            )
    # an extra column in a header
    interactions = raw_dir / "service_interactions.csv"
    lines = interactions.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",agent_note"] + [line + ",x" for line in lines[1:]]
    interactions.write_text("\n".join(lines) + "\n", encoding="utf-8")

    run = run_dbt(
        ["build", *WITHOUT_UNIT_TESTS],
        tmp_path_factory.mktemp("planted"),
        raw_dir,
        extra_vars=SMALL_DATA_VARS,
    )
    assert run.success, run.log
    return run


def reject_of(run: DbtRun, table: str, key_column: str, key: str) -> tuple[str, str]:
    rows = run.query(
        f"select reject_reason, reject_column from staging.stg_crm__{table}_rejected"
        f" where raw_{key_column} = '{key}'"
    )
    assert len(rows) == 1, rows
    return rows[0]


def clean_order(run: DbtRun, order_id: str) -> tuple[object, ...]:
    rows = run.query(
        "select cast(order_date as varchar), amount, cast(updated_at as varchar)"
        f" from staging.stg_crm__orders where order_id = '{order_id}'"
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_bom_header_is_read(planted: DbtRun) -> None:
    assert planted.scalar("select count(*) from staging.stg_crm__customers") == 63


def test_text_in_a_numeric_column_rejects_the_row(planted: DbtRun) -> None:
    assert reject_of(planted, "orders", "order_id", "BAD_TEXT_AMOUNT") == (
        "bad_number",
        "amount",
    )


def test_timestamps_with_and_without_zone(planted: DbtRun) -> None:
    assert clean_order(planted, "BAD_TZ")[2] == "2026-06-01 15:30:00"
    assert clean_order(planted, "BAD_NO_TZ")[2] == "2026-06-01 23:30:00"


def test_date_formats(planted: DbtRun) -> None:
    assert clean_order(planted, "BAD_SLASH_DATE")[0] == "2026-03-05"
    assert clean_order(planted, "BAD_COMPACT_DATE")[0] == "2026-03-05"


def test_thousands_separator(planted: DbtRun) -> None:
    assert float(clean_order(planted, "BAD_THOUSANDS")[1]) == 1234.50


def test_future_order_is_rejected(planted: DbtRun) -> None:
    assert reject_of(planted, "orders", "order_id", "BAD_FUTURE") == (
        "future_date",
        "order_date",
    )


def test_order_of_a_deleted_customer_is_an_orphan(planted: DbtRun) -> None:
    assert reject_of(planted, "orders", "order_id", "BAD_DELETED_CUSTOMER") == (
        "orphan_customer",
        "customer_id",
    )


def test_exact_duplicates_count_once(planted: DbtRun) -> None:
    statuses = planted.query(
        "select row_status, count(*) from staging.base_crm__orders"
        " where order_id = 'BAD_EXACT_DUP' group by row_status"
    )
    assert dict(statuses) == {"clean": 1, "superseded": 1}
    customers = planted.query(
        "select row_status, count(*) from staging.base_crm__customers"
        " where customer_id = 'BAD_DUP' group by row_status"
    )
    assert dict(customers) == {"clean": 1, "superseded": 1}


def test_injection_text_is_only_data(planted: DbtRun) -> None:
    assert (
        planted.scalar(
            "select count(*) from marts.customer_tags_basic"
            " where customer_id = 'BAD_INJECT'"
        )
        == 1
    )
    assert (
        planted.scalar(
            "select count(*) from marts.customer_tags_value"
            " where customer_id = 'BAD_INJECT' and window_order_count >= 5"
        )
        == 1
    )


def test_chinese_emoji_and_long_strings_survive(planted: DbtRun) -> None:
    assert (
        planted.scalar(
            "select city from staging.stg_crm__customers where customer_id = 'BAD_LONG'"
        )
        == LONG_CITY
    )


def test_a_file_of_only_bad_rows(planted: DbtRun) -> None:
    assert planted.scalar("select count(*) from staging.stg_crm__promotions") == 0
    reasons = planted.query(
        "select distinct reject_reason from staging.stg_crm__promotions_rejected"
    )
    assert reasons == [("bad_date_range",)]


def test_extra_column_is_ignored(planted: DbtRun) -> None:
    columns = {
        name
        for (name,) in planted.query(
            "select column_name from information_schema.columns"
            " where table_schema = 'raw' and table_name = 'service_interactions'"
        )
    }
    assert "agent_note" not in columns


@pytest.mark.parametrize("table", TABLES)
def test_every_row_is_accounted_for(planted: DbtRun, table: str) -> None:
    raw, clean, rejected, superseded = planted.query(
        f"select (select count(*) from raw.{table}),"
        f" (select count(*) from staging.stg_crm__{table}),"
        f" (select count(*) from staging.stg_crm__{table}_rejected),"
        f" (select count(*) from staging.base_crm__{table}"
        "   where row_status = 'superseded')"
    )[0]
    assert raw == clean + rejected + superseded


def mart_fingerprints(run: DbtRun) -> dict[str, str]:
    """SHA-256 of every mart's rows in a fixed order."""
    prints = {}
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        tables = con.sql(
            "select table_name from information_schema.tables"
            " where table_schema = 'marts' order by 1"
        ).fetchall()
        for (table,) in tables:
            rows = con.sql(f"select * from marts.{table} order by all").fetchall()
            prints[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return prints


def test_two_builds_give_identical_marts(
    planted: DbtRun, tmp_path: Path, clean_dir: Path
) -> None:
    raw_dir = Path(planted.query("select distinct _source_file from raw.orders")[0][0])
    again = run_dbt(
        ["build", *MODELS_ONLY], tmp_path, raw_dir.parent, extra_vars=SMALL_DATA_VARS
    )
    assert again.success, again.log
    assert mart_fingerprints(again) == mart_fingerprints(planted)


def build_with(tmp_path: Path, clean_dir: Path, table: str, content: bytes) -> DbtRun:
    raw_dir = tmp_path / "raw"
    shutil.copytree(clean_dir, raw_dir)
    (raw_dir / f"{table}.csv").write_bytes(content)
    return run_dbt(
        ["build", *WITHOUT_UNIT_TESTS],
        tmp_path / "work",
        raw_dir,
        extra_vars=SMALL_DATA_VARS,
    )


def test_non_utf8_byte_stops_the_build_naming_the_file(
    tmp_path: Path, clean_dir: Path
) -> None:
    content = (clean_dir / "orders.csv").read_bytes()
    lines = content.split(b"\n")
    lines[3] = lines[3].replace(b"completed", b"compl\xffeted")
    run = build_with(tmp_path, clean_dir, "orders", b"\n".join(lines))
    assert not run.success
    # line 4 of the file: lines[3], the header being line 1
    assert re.search(
        r"Raw file \S*/raw/orders\.csv is not utf-8 encoded: line 4 ", run.log
    )


def test_empty_file_builds_with_no_rows(tmp_path: Path, clean_dir: Path) -> None:
    header = (clean_dir / "orders.csv").read_bytes().split(b"\n")[0] + b"\n"
    run = build_with(tmp_path, clean_dir, "orders", header)
    assert run.success, run.log
    assert run.scalar("select count(*) from staging.stg_crm__orders") == 0
    assert run.query(
        "select distinct recency, lifecycle_stage from marts.customer_tags_behavior"
        " inner join marts.customer_tags_lifecycle using (customer_id)"
    ) == [("never", "potential")]
