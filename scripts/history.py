"""`python scripts/history.py migrate-snapshots`: copy the old dbt snapshot history
(snapshots.*_snapshot) into the history models (history.*_history), once.

    python scripts/history.py migrate-snapshots            # DuckDB: $WAREHOUSE_DB
    python scripts/history.py migrate-snapshots --target postgres  # WAREHOUSE_PG_*

Each snapshot version goes into the history at its as_of_date; a date the history
already holds is left alone, so running it again copies nothing
(tag_warehouse/history.py, docs/operations.md "Tag history")."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import _bootstrap  # noqa: F401

from tag_warehouse.history import HistoryError, migrate_duckdb, migrate_postgres

ROOT = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser(
        "migrate-snapshots", help="copy snapshot versions into the history models"
    )
    migrate.add_argument(
        "--target",
        choices=["duckdb", "postgres"],
        default=os.environ.get("WAREHOUSE_TARGET", "duckdb"),
        help="engine (default: $WAREHOUSE_TARGET or duckdb; Spark had no snapshots)",
    )
    migrate.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get("WAREHOUSE_DB", ROOT / "warehouse.duckdb")),
        help="the DuckDB file (default: $WAREHOUSE_DB or warehouse.duckdb)",
    )
    args = parser.parse_args(argv)
    try:
        if args.target == "postgres":
            migrated = migrate_postgres()
        else:
            migrated = migrate_duckdb(args.warehouse)
    except HistoryError as error:
        print(f"[history] error: {error}", file=sys.stderr)
        return 2
    if not migrated:
        print("[history] no snapshot table (snapshots.*_snapshot): nothing to copy")
    for table in migrated:
        print(f"[history] {table.summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
