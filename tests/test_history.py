"""The one-off migration of the dbt snapshot history into the history models
(scripts/history.py migrate-snapshots, tag_warehouse/history.py), on a small fake
snapshot in a DuckDB file: no dbt build."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
from dbt_helpers import ROOT

from tag_warehouse.history import migrate_duckdb

D1, D2, D3 = (dt.date(2026, 4, 30), dt.date(2026, 5, 31), dt.date(2026, 6, 30))
LATER = dt.datetime(2026, 7, 2, 3, 0)
# customer_id, as_of_date, lifecycle_stage, dbt_valid_from: the versions a check
# snapshot recorded. c1 changed at D2; D2 was built twice (the later version of
# c2 at D2 wins); c3 arrived at D3, a date the history already holds.
SNAPSHOT = [
    ("c1", D1, "new", dt.datetime(2026, 5, 1, 2)),
    ("c2", D1, "active", dt.datetime(2026, 5, 1, 2)),
    ("c1", D2, "active", dt.datetime(2026, 6, 1, 2)),
    ("c2", D2, "at_risk", dt.datetime(2026, 6, 1, 2)),
    ("c2", D2, "churned", dt.datetime(2026, 6, 1, 5)),
    ("c3", D3, "new", dt.datetime(2026, 7, 1, 2)),
]


def fake_warehouse(path: Path) -> None:
    """A lifecycle snapshot as dbt kept it, and a history model already built for
    D3 (full slice, with a tag the snapshot never had)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema snapshots")
        con.execute(
            "create table snapshots.customer_tags_lifecycle_snapshot (customer_id"
            " varchar, as_of_date date, lifecycle_stage varchar, dbt_scd_id varchar,"
            " dbt_updated_at timestamp, dbt_valid_from timestamp, dbt_valid_to"
            " timestamp)"
        )
        for index, (customer, day, stage, valid_from) in enumerate(SNAPSHOT):
            con.execute(
                "insert into snapshots.customer_tags_lifecycle_snapshot values"
                " (?, ?, ?, ?, ?, ?, null)",
                [customer, day, stage, f"v{index}", valid_from, valid_from],
            )
        con.execute("create schema history")
        con.execute(
            "create table history.customer_tags_lifecycle_history (customer_id"
            " varchar, as_of_date date, lifecycle_stage varchar, new_tag varchar,"
            " recorded_at timestamp)"
        )
        con.execute(
            "insert into history.customer_tags_lifecycle_history values"
            " ('c1', ?, 'active', 'x', ?), ('c2', ?, 'churned', 'x', ?),"
            " ('c3', ?, 'new', 'x', ?)",
            [D3, LATER, D3, LATER, D3, LATER],
        )


def test_migration_copies_each_snapshot_version_once(tmp_path: Path) -> None:
    """Each snapshot version lands at its as_of_date (a sparse slice, recorded_at
    = dbt_valid_from; a date built twice keeps its later version), the date the
    history holds is left alone, a history model that does not exist yet is
    created, and a second run copies nothing."""
    warehouse = tmp_path / "warehouse.duckdb"
    fake_warehouse(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create table snapshots.customer_audiences_snapshot as select"
            " 'c1' as customer_id, date '2026-05-31' as as_of_date,"
            " 'member' as vip_at_risk, timestamp '2026-06-01 02:00' as dbt_valid_from"
        )
    (audiences, lifecycle) = migrate_duckdb(warehouse)
    assert (lifecycle.copied_dates, lifecycle.kept_dates) == ((D1, D2), (D3,))
    assert (lifecycle.rows, lifecycle.created) == (4, False)
    assert "4 rows copied for 2 dates (2026-04-30 .. 2026-05-31)" in (
        lifecycle.summary()
    )
    assert (audiences.rows, audiences.created) == (1, True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select customer_id, as_of_date, lifecycle_stage, new_tag, recorded_at"
            " from history.customer_tags_lifecycle_history order by 2, 1"
        ).fetchall()
        audience_rows = con.execute(
            "select * from history.customer_audiences_history"
        ).fetchall()
    assert rows == [
        ("c1", D1, "new", None, dt.datetime(2026, 5, 1, 2)),
        ("c2", D1, "active", None, dt.datetime(2026, 5, 1, 2)),
        ("c1", D2, "active", None, dt.datetime(2026, 6, 1, 2)),
        ("c2", D2, "churned", None, dt.datetime(2026, 6, 1, 5)),
        ("c1", D3, "active", "x", LATER),
        ("c2", D3, "churned", "x", LATER),
        ("c3", D3, "new", "x", LATER),
    ]
    assert audience_rows == [("c1", D2, "member", dt.datetime(2026, 6, 1, 2))]

    again = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "history.py"),
            "migrate-snapshots",
            "--warehouse",
            str(warehouse),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert again.stdout.count("0 rows copied (no date to copy)") == 2, again.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        count = con.execute(
            "select count(*) from history.customer_tags_lifecycle_history"
        ).fetchall()
    assert count == [(len(rows),)]
