"""`dbt source freshness` on the raw files: the age of the newest parsed
updated_at / occurred_at against the var thresholds (issue #20 item 3)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from dbt_helpers import run_dbt

HOUR = dt.timedelta(hours=1)
COLUMNS = {
    "customers": [
        "customer_id", "customer_name", "customer_type", "industry",
        "employee_count", "province", "city", "phone", "email", "decision_role",
        "created_at", "updated_at",
    ],
    "orders": [
        "order_id", "customer_id", "order_date", "product_category", "amount",
        "cost", "promotion_id", "status", "updated_at",
    ],
    "promotions": [
        "promotion_id", "promotion_name", "promotion_type", "start_date",
        "end_date", "discount_rate",
    ],
    "service_interactions": [
        "interaction_id", "customer_id", "occurred_at", "channel",
        "interaction_type", "satisfaction",
    ],
}  # fmt: skip
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def write_raw(raw_dir: Path, now: dt.datetime, ages: dict[str, float]) -> None:
    """Raw files whose newest timestamp is `ages[table]` hours before `now`; each
    also holds an older row, an unparsable one and (orders) one dated in the
    future, which must not count."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    newest = {table: now - age * HOUR for table, age in ages.items()}
    customers = [
        # The newest one written with a +08:00 offset: compared as an instant.
        ["C1", "n", "individual", "", "", "", "", "", "", "", "2025-01-01",
         newest["customers"].astimezone(SHANGHAI).isoformat()],
        ["C2", "n", "individual", "", "", "", "", "", "", "", "2025-01-01",
         stamp(newest["customers"] - 300 * HOUR)],
        ["C3", "n", "individual", "", "", "", "", "", "", "", "2025-01-01",
         "not a date"],
    ]  # fmt: skip
    order = ["retail", "100", "50", "", "completed"]
    orders = [
        ["O1", "C1", "2025-01-01", *order, stamp(newest["orders"])],
        ["O2", "C1", "2025-01-01", *order, stamp(newest["orders"] - 10 * HOUR)],
        ["O3", "C1", "2025-01-01", *order, stamp(now + 48 * HOUR)],
        ["O4", "C1", "2025-01-01", *order, "2026-13-45 99:00:00"],
    ]
    interactions = [
        ["I1", "C1", stamp(newest["service_interactions"]), "phone", "other", "5"],
        ["I2", "C1", "n/a", "phone", "other", "5"],
    ]
    promotions = [["P1", "p", "discount", "2025-01-01", "2025-01-31", "0.1"]]
    rows = {
        "customers": customers,
        "orders": orders,
        "promotions": promotions,
        "service_interactions": interactions,
    }
    for table, columns in COLUMNS.items():
        with (raw_dir / f"{table}.csv").open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            writer.writerows(rows[table])


def freshness(
    workdir: Path,
    raw_dir: Path,
    extra_vars: dict[str, Any] | None = None,
    stops_at_var_check: bool = False,
) -> tuple[bool, dict[str, dict[str, Any]], str]:
    run = run_dbt(
        ["source", "freshness"],
        workdir,
        raw_dir,
        extra_vars=extra_vars,
        stops_at_var_check=stops_at_var_check,
        artifacts=True,
    )
    results_file = run.target_path / "sources.json"
    if not results_file.exists():
        return run.success, {}, run.log
    results = json.loads(results_file.read_text())["results"]
    by_table = {result["unique_id"].rsplit(".", 1)[1]: result for result in results}
    return run.success, by_table, run.log


def test_stale_files_warn_or_error_and_future_or_bad_values_do_not_count(
    tmp_path: Path,
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    write_raw(
        tmp_path / "raw",
        now,
        {"customers": 1, "orders": 30, "service_interactions": 80},
    )
    success, results, log = freshness(tmp_path / "run", tmp_path / "raw")
    assert not success, log
    assert {table: r["status"] for table, r in results.items()} == {
        "customers": "pass",
        "orders": "warn",
        "service_interactions": "error",
    }
    # The newest parseable, not-future value of each file, read as an instant.
    for table, age in (("customers", 1), ("orders", 30), ("service_interactions", 80)):
        loaded = dt.datetime.fromisoformat(results[table]["max_loaded_at"])
        assert loaded == now - age * HOUR, table
    criteria = results["orders"]["criteria"]
    assert criteria["warn_after"] == {"count": 26, "period": "hour"}
    assert criteria["error_after"] == {"count": 50, "period": "hour"}
    assert "ERROR STALE freshness of crm.service_interactions" in log


def test_fresh_files_pass_and_thresholds_are_vars(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    write_raw(
        tmp_path / "raw",
        now,
        {"customers": 1, "orders": 2, "service_interactions": 40},
    )
    success, results, log = freshness(
        tmp_path / "run",
        tmp_path / "raw",
        {"raw_freshness_warn_after_hours": 48, "raw_freshness_error_after_hours": 96},
    )
    assert success, log
    assert {r["status"] for r in results.values()} == {"pass"}
    assert "promotions" not in results  # no timestamp: no freshness rule


@pytest.mark.parametrize(
    ("warn", "message"),
    [
        (
            50,
            "raw_freshness_warn_after_hours (50) must be below"
            " raw_freshness_error_after_hours (50)",
        ),
        ("lots", "raw_freshness_warn_after_hours must be a whole number, got 'lots'"),
    ],
    ids=["warn_not_below_error", "not_a_number"],
)
def test_bad_thresholds_stop_before_any_sql_naming_the_var(
    tmp_path: Path, warn: object, message: str
) -> None:
    write_raw(
        tmp_path / "raw",
        dt.datetime.now(dt.UTC),
        {"customers": 1, "orders": 1, "service_interactions": 1},
    )
    success, results, log = freshness(
        tmp_path / "run",
        tmp_path / "raw",
        {
            "raw_freshness_warn_after_hours": warn,
            "raw_freshness_error_after_hours": 50,
        },
        stops_at_var_check=True,
    )
    assert not success and not results
    assert message in log
