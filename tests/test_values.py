"""Raw values are never misread (issue #19 items 9-11): amounts follow the declared
decimal separator, dates need a four-digit plausible year, keys lose invisible
spaces and keys that differ only in letter case are listed (or folded by a var).

One small hand-written raw directory is built with the default vars and once more
with the other setting of each var; the parsers are also run on single spellings."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dbt_helpers import FIXTURES, SMALL_DATA_VARS, DbtRun, run_dbt

# Staging (and the seeds it reads) with its data tests, no marts.
STAGING = [
    "build",
    "--select",
    "+path:models/staging",
    "reject_reasons",
    "--indirect-selection",
    "cautious",
    "--exclude",
    "resource_type:unit_test",
]
# The other setting of every var of this change.
OTHER_SETTINGS = {
    "raw_decimal_separator": ",",
    "raw_keys_case_insensitive": True,
    "raw_min_year": 1800,
}

CUSTOMER = {
    "customer_name": "x",
    "customer_type": "individual",
    "created_at": "2025-01-01",
    "updated_at": "2026-01-01 08:00:00",
}
CUSTOMERS = [
    {"customer_id": "C001"},
    {"customer_id": "\u00a0C002\u200b"},  # no-break space, zero-width space
    {"customer_id": "\ufeffC003\u3000"},  # byte order mark, ideographic space
    {"customer_id": "CASE_A"},
    {"customer_id": "case_a", "updated_at": "2026-02-01 08:00:00"},  # newer
    {"customer_id": "C_TWO_DIGIT", "created_at": "26-01-01"},
    {"customer_id": "C_OLD", "updated_at": "1899-12-31 10:00:00"},
    {"customer_id": "C_FAR", "updated_at": "2206-01-01 08:00:00"},
    {"customer_id": "C_EMPLOYEES_COMMA", "employee_count": "1,200"},
    {"customer_id": "C_EMPLOYEES_DOT", "employee_count": "1.200"},
]
ORDER = {
    "customer_id": "C001",
    "order_date": "2026-06-01",
    "product_category": "furniture",
    "amount": "100",
    "cost": "50",
    "status": "completed",
    "updated_at": "2026-06-01 10:00:00",
}
ORDERS = [
    {"order_id": "O_PLAIN"},
    {"order_id": "O_DECIMAL_COMMA", "amount": "1715,30"},
    {"order_id": "O_EURO", "amount": "5.285,14"},
    {"order_id": "O_BAD_GROUPS", "amount": "1,2,3"},
    {"order_id": "O_THOUSANDS", "amount": "1,234.56"},
    {"order_id": "O_GROUPED", "amount": "12,345"},
    {"order_id": "O_DOT", "amount": "1.234"},
    {"order_id": "O_CURRENCY", "amount": "¥1,234.50"},
    {"order_id": "O_ZERO_GROUP", "amount": "0,123"},
    {"order_id": "O_TWO_DIGIT_YEAR", "order_date": "26-06-01"},
    {"order_id": "O_SHORT_DATE", "order_date": "6/1/26"},
    {"order_id": "O_YEAR_0026", "order_date": "0026-06-01"},
    {"order_id": "O_OLD", "order_date": "1899-12-31"},
    {"order_id": "O_TWO_DIGIT_UPDATED", "updated_at": "26-06-01 10:00:00"},
    {"order_id": "\u00a0O_NBSP", "customer_id": "C002\u200d"},
    {"order_id": "O_CASE", "customer_id": "Case_A"},
    {"order_id": "O_DUP"},
    {"order_id": "o_dup", "updated_at": "2026-06-02 10:00:00"},
]
PROMOTION = {
    "promotion_name": "x",
    "promotion_type": "discount",
    "start_date": "2026-05-01",
    "end_date": "2026-06-30",
    "discount_rate": "",
}
PROMOTIONS = [
    {"promotion_id": "P001"},
    {"promotion_id": "P_TWO_DIGIT", "start_date": "26-06-01"},
    {"promotion_id": "P_FAR", "end_date": "2101-01-01"},
]
INTERACTION = {
    "customer_id": "C001",
    "occurred_at": "2026-06-01 10:00:00",
    "channel": "phone",
    "interaction_type": "consultation",
    "satisfaction": "4",
}
INTERACTIONS = [
    {"interaction_id": "S001"},
    {"interaction_id": "S_TWO_DIGIT", "occurred_at": "26-06-02 10:00:00"},
    {"interaction_id": "\u3000S_IDEO\ufeff", "customer_id": "C003"},
    {"interaction_id": "S_CASE", "customer_id": "case_a"},
]


def write_table(
    path: Path, template: dict[str, str], rows: list[dict[str, str]]
) -> None:
    """A raw CSV in the contract (header from the fixture), rows over a template."""
    with (FIXTURES / "raw_dirty" / path.name).open(encoding="utf-8") as handle:
        header = [name for name in next(csv.reader(handle)) if name != "loyalty_note"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {name: {**template, **row}.get(name, "") for name in header}
            )


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("values_raw")
    write_table(directory / "customers.csv", CUSTOMER, CUSTOMERS)
    write_table(directory / "orders.csv", ORDER, ORDERS)
    write_table(directory / "promotions.csv", PROMOTION, PROMOTIONS)
    write_table(directory / "service_interactions.csv", INTERACTION, INTERACTIONS)
    return directory


def build(workdir: Path, raw_dir: Path, settings: dict[str, Any]) -> DbtRun:
    run = run_dbt(
        STAGING,
        workdir,
        raw_dir,
        extra_vars={**SMALL_DATA_VARS, **settings},
        artifacts=True,  # the case warnings are read from run_results.json
    )
    assert run.success, run.log
    return run


@pytest.fixture(scope="module")
def default_build(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> DbtRun:
    return build(tmp_path_factory.mktemp("values_default"), raw_dir, {})


@pytest.fixture(scope="module")
def other_build(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> DbtRun:
    return build(tmp_path_factory.mktemp("values_other"), raw_dir, OTHER_SETTINGS)


INVISIBLE = " \u00a0\u200b\u200c\u200d\ufeff\u3000"


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def outcome(run: DbtRun, table: str, key: str, column: str) -> tuple[Any, ...]:
    """(row_status, reject_reason, reject_column, the parsed column) of the row
    whose raw key text is `key` (exactly as written in the file)."""
    key_column = {
        "customers": "customer_id",
        "orders": "order_id",
        "promotions": "promotion_id",
        "service_interactions": "interaction_id",
    }[table]
    # The other base tables keep the raw text of rejected rows only: a clean or
    # superseded row is found by its parsed key.
    found = f"raw_{key_column} = {literal(key)}"
    if table != "orders":
        found += (
            f" or (raw_{key_column} is null"
            f" and {key_column} = {literal(key.strip(INVISIBLE))})"
        )
    rows = run.query(
        f"select row_status, reject_reason, reject_column, {column}"
        f" from staging.base_crm__{table} where {found}"
    )
    assert len(rows) == 1, (key, rows)
    return rows[0]


def amount(run: DbtRun, order_id: str) -> Decimal | str:
    """The amount of a clean order, or the reject reason of the row."""
    status, reason, _, value = outcome(run, "orders", order_id, "amount")
    return value if status == "clean" else reason


# order_id -> (default vars, raw_decimal_separator ',')
AMOUNTS = {
    "O_DECIMAL_COMMA": ("bad_number", Decimal("1715.30")),
    "O_EURO": ("bad_number", Decimal("5285.14")),
    "O_BAD_GROUPS": ("bad_number", "bad_number"),
    "O_THOUSANDS": (Decimal("1234.56"), "bad_number"),
    "O_GROUPED": (Decimal("12345"), Decimal("12.345")),
    "O_DOT": (Decimal("1.234"), Decimal("1234")),
    "O_CURRENCY": (Decimal("1234.50"), "bad_number"),
    "O_ZERO_GROUP": ("bad_number", Decimal("0.123")),
    "O_PLAIN": (Decimal("100"), Decimal("100")),
}


@pytest.mark.parametrize("order_id", AMOUNTS)
def test_amounts_follow_the_decimal_separator(
    default_build: DbtRun, other_build: DbtRun, order_id: str
) -> None:
    assert (amount(default_build, order_id), amount(other_build, order_id)) == (
        AMOUNTS[order_id]
    )


def test_whole_numbers_follow_the_decimal_separator(
    default_build: DbtRun, other_build: DbtRun
) -> None:
    comma, dot = "C_EMPLOYEES_COMMA", "C_EMPLOYEES_DOT"  # 1,200 and 1.200
    assert outcome(default_build, "customers", comma, "employee_count") == (
        "clean",
        None,
        None,
        1200,
    )
    assert outcome(default_build, "customers", dot, "employee_count")[1:3] == (
        "bad_number",
        "employee_count",
    )
    assert outcome(other_build, "customers", comma, "employee_count")[1:3] == (
        "bad_number",
        "employee_count",
    )
    assert outcome(other_build, "customers", dot, "employee_count") == (
        "clean",
        None,
        None,
        1200,
    )


# (table, raw key, column) -> reject (reason, column) with the default vars
DATES = {
    ("orders", "O_TWO_DIGIT_YEAR", "order_date"): ("bad_date", "order_date"),
    ("orders", "O_SHORT_DATE", "order_date"): ("bad_date", "order_date"),
    ("orders", "O_YEAR_0026", "order_date"): ("bad_date", "order_date"),
    ("orders", "O_OLD", "order_date"): ("bad_date", "order_date"),
    ("orders", "O_TWO_DIGIT_UPDATED", "updated_at"): ("bad_timestamp", "updated_at"),
    ("customers", "C_TWO_DIGIT", "created_at"): ("bad_timestamp", "created_at"),
    ("customers", "C_OLD", "updated_at"): ("bad_timestamp", "updated_at"),
    ("customers", "C_FAR", "updated_at"): ("bad_timestamp", "updated_at"),
    ("promotions", "P_TWO_DIGIT", "start_date"): ("bad_date", "start_date"),
    ("promotions", "P_FAR", "end_date"): ("bad_date", "end_date"),
    ("service_interactions", "S_TWO_DIGIT", "occurred_at"): (
        "bad_timestamp",
        "occurred_at",
    ),
}


@pytest.mark.parametrize(("table", "key", "column"), DATES)
def test_implausible_and_short_years_are_rejected(
    default_build: DbtRun, table: str, key: str, column: str
) -> None:
    status, reason, reject_column, value = outcome(default_build, table, key, column)
    assert (status, reason, reject_column, value) == (
        "rejected",
        *DATES[(table, key, column)],
        None,
    )


def test_min_year_var_admits_older_dates(other_build: DbtRun) -> None:
    """raw_min_year 1800: 1899 is plausible; two-digit years stay rejected."""
    order = outcome(other_build, "orders", "O_OLD", "cast(order_date as varchar)")
    assert order == ("clean", None, None, "1899-12-31")
    customer = outcome(other_build, "customers", "C_OLD", "updated_at")
    assert customer[:3] == ("clean", None, None)
    for key in ["O_TWO_DIGIT_YEAR", "O_SHORT_DATE", "O_YEAR_0026"]:
        assert outcome(other_build, "orders", key, "order_date")[1] == "bad_date"


def test_invisible_spaces_are_trimmed_from_keys(default_build: DbtRun) -> None:
    customers = {
        key
        for (key,) in default_build.query(
            "select customer_id from staging.stg_crm__customers"
        )
    }
    assert {"C002", "C003"} <= customers
    assert outcome(default_build, "orders", "\u00a0O_NBSP", "order_id || customer_id")[
        ::3
    ] == ("clean", "O_NBSPC002")
    interaction = outcome(
        default_build, "service_interactions", "\u3000S_IDEO\ufeff", "interaction_id"
    )
    assert interaction == ("clean", None, None, "S_IDEO")


def test_keys_differing_in_case_are_different_keys_by_default(
    default_build: DbtRun,
) -> None:
    customers = default_build.query(
        "select customer_id from staging.stg_crm__customers"
        " where upper(customer_id) = 'CASE_A' order by 1"
    )
    assert customers == [("CASE_A",), ("case_a",)]
    assert outcome(default_build, "orders", "O_CASE", "customer_id")[1:] == (
        "orphan_customer",
        "customer_id",
        "Case_A",
    )
    orders = default_build.query(
        "select order_id from staging.stg_crm__orders"
        " where upper(order_id) = 'O_DUP' order by 1"
    )
    assert orders == [("O_DUP",), ("o_dup",)]


def case_warnings(run: DbtRun) -> dict[str, list[tuple[Any, ...]]]:
    """keys_differ_only_in_case test -> its stored rows (folded key, count,
    spellings), for each such test of the build; checks each warned."""
    results = json.loads((run.target_path / "run_results.json").read_text())
    warnings = {}
    for result in results["results"]:
        name = result["unique_id"].split(".")[2]
        if not name.startswith("keys_differ_only_in_case"):
            continue
        assert result["status"] == ("warn" if result["failures"] else "pass")
        warnings[name] = run.query(
            "select folded_key, spelling_count, spellings"
            f" from {result['relation_name']} order by 1"
        )
    return warnings


def test_warning_lists_keys_differing_only_in_case(default_build: DbtRun) -> None:
    warnings = case_warnings(default_build)
    listed = {
        name.removeprefix("keys_differ_only_in_case_base_crm__"): rows
        for name, rows in warnings.items()
        if rows
    }
    assert listed == {
        "customers_customer_id": [("CASE_A", 2, "CASE_A, case_a")],
        "orders_parsed_order_id": [("O_DUP", 2, "O_DUP, o_dup")],
        next(key for key in listed if key.startswith("orders_parsed_customer_id")): [
            ("CASE_A", 3, "CASE_A, Case_A, case_a")
        ],
        next(
            key for key in listed if key.startswith("service_interactions_customer_id")
        ): [("CASE_A", 2, "CASE_A, case_a")],
    }
    assert len(warnings) == 7  # every key and reference of the four tables
    assert "See test failures" in default_build.log
    assert "keys_differ_only_in_case_base_crm__customers_customer_id" in (
        default_build.log
    )


def test_case_insensitive_keys_are_one_key(other_build: DbtRun) -> None:
    """raw_keys_case_insensitive: keys fold to upper case; the newest version of
    CASE_A/case_a wins; the order of Case_A is that customer's; no warning."""
    customers = other_build.query(
        "select customer_id, cast(updated_at as varchar)"
        " from staging.stg_crm__customers where customer_id like '%ASE_A'"
    )
    assert customers == [("CASE_A", "2026-02-01 08:00:00")]
    assert outcome(other_build, "orders", "O_CASE", "customer_id") == (
        "clean",
        None,
        None,
        "CASE_A",
    )
    orders = other_build.query(
        "select order_id, row_status from staging.base_crm__orders"
        " where upper(order_id) = 'O_DUP' order by raw_order_id"
    )
    assert orders == [("O_DUP", "superseded"), ("O_DUP", "clean")]
    interaction = outcome(other_build, "service_interactions", "S_CASE", "customer_id")
    assert interaction == ("clean", None, None, "CASE_A")
    assert all(rows == [] for rows in case_warnings(other_build).values())


def test_changing_a_value_var_parses_the_loaded_customers_again(
    tmp_path: Path, raw_dir: Path
) -> None:
    """The customers load incrementally: a var that changes how values parse is
    part of their fingerprint, so the next run parses every loaded row again."""
    build(tmp_path, raw_dir, {})
    run = run_dbt(
        ["run", "--select", "base_crm__customers", "stg_crm__customers"],
        tmp_path,
        raw_dir,
        extra_vars={**SMALL_DATA_VARS, "raw_keys_case_insensitive": True},
    )
    assert run.success, run.log
    assert run.query(
        "select customer_id from staging.stg_crm__customers"
        " where upper(customer_id) = 'CASE_A'"
    ) == [("CASE_A",)]


@pytest.mark.parametrize(
    ("variables", "messages"),
    [
        (
            {
                "raw_decimal_separator": ";",
                "raw_min_year": 26,
                "raw_max_year": "soon",
                "raw_keys_case_insensitive": "yes",
            },
            [
                "raw_decimal_separator must be '.' or ',' (the decimal separator",
                "raw_min_year must be a four-digit year (1000..9999), got 26",
                "raw_max_year must be a whole year, got 'soon'",
                "raw_keys_case_insensitive must be true or false, got 'yes'",
            ],
        ),
        (
            {"raw_min_year": 2000, "raw_max_year": 1999},
            ["raw_min_year (2000) must not be after raw_max_year (1999)"],
        ),
    ],
)
def test_bad_value_vars_stop_before_any_sql(
    tmp_path: Path, raw_dir: Path, variables: dict[str, object], messages: list[str]
) -> None:
    run = run_dbt(
        ["build"], tmp_path, raw_dir, extra_vars=variables, stops_at_var_check=True
    )
    assert not run.success
    for message in messages:
        assert message in run.log


def parsed(
    workdir: Path, spellings: list[str], settings: dict[str, Any]
) -> dict[str, tuple[str, ...]]:
    """spelling -> (parse_date, parse_timestamp, parse_decimal, parse_integer,
    clean_key) as text on DuckDB, through `dbt show`."""
    inputs = " union all ".join(
        f"select {number} as n, '{text}' as t" for number, text in enumerate(spellings)
    )
    parsers = ["parse_date", "parse_timestamp", "parse_decimal", "parse_integer"]
    columns = ", ".join(
        [f"cast({{{{ {name}('t') }}}} as varchar)" for name in parsers]
        + ["{{ clean_key('t') }}"]
    )
    show = run_dbt(
        [
            "show",
            "--inline",
            f"with inputs as ({inputs}) select n, {columns} from inputs",
            "--limit",
            "100",
        ],
        workdir,
        FIXTURES / "raw_dirty",
        extra_vars=settings,
    )
    assert show.success, show.log
    return {
        spellings[int(row[0])]: tuple(str(value) for value in row[1:])
        for row in show.result.results[0].agate_table.rows
    }


def test_parsers_on_single_spellings(tmp_path: Path) -> None:
    none = "None"
    default = parsed(
        tmp_path,
        ["26-06-01", "02026-06-01", "epoch", "2100-12-31", "1715,30", "\u200bc1"],
        {},
    )
    assert default == {
        "26-06-01": (none, none, none, none, "26-06-01"),
        "02026-06-01": (none, none, none, none, "02026-06-01"),
        "epoch": (none, none, none, none, "epoch"),
        "2100-12-31": ("2100-12-31", "2100-12-31 00:00:00", none, none, "2100-12-31"),
        "1715,30": (none, none, none, none, "1715,30"),
        "\u200bc1": (none, none, none, none, "c1"),
    }
    other = parsed(tmp_path, ["1.234,5", "1,234.5", "\u200bc1"], OTHER_SETTINGS)
    assert other == {
        "1.234,5": (none, none, "1234.5000", none, "1.234,5"),
        "1,234.5": (none, none, none, none, "1,234.5"),
        "\u200bc1": (none, none, none, none, "C1"),
    }
