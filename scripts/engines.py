"""Run the warehouse on PostgreSQL or Spark: start a local server, load raw files.

    python scripts/engines.py postgres start|stop|status
    python scripts/engines.py spark check
    python scripts/engines.py load --target postgres|spark --raw data/demo

Settings are environment variables (WAREHOUSE_PG_*, WAREHOUSE_SPARK_DIR, see
tag_warehouse/engines.py); profiles.yml reads the same ones. Then build with
`dbt build --target postgres` (or spark): docs/engines.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.engines import (
    EngineError,
    PostgresSettings,
    ensure_java,
    load,
    postgres_start,
    postgres_status,
    postgres_stop,
    say,
)


def run(args: argparse.Namespace) -> int:
    if args.engine == "postgres":
        settings = PostgresSettings.from_env()
        if args.action == "start":
            postgres_start(settings)
        elif args.action == "stop":
            postgres_stop(settings)
        else:
            return 0 if postgres_status(settings) else 1
    elif args.engine == "spark":
        ensure_java()
        say("java found: Spark runs in local mode inside dbt (method session)")
    else:
        load(args.target, args.raw, args.csv_encoding, args.csv_delimiter)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    engines = parser.add_subparsers(dest="engine", required=True)
    postgres = engines.add_parser("postgres", help="a local PostgreSQL server")
    postgres.add_argument("action", choices=["start", "stop", "status"])
    spark = engines.add_parser("spark", help="Spark's prerequisites")
    spark.add_argument("action", choices=["check"])
    loader = engines.add_parser("load", help="load the raw files into an engine")
    loader.add_argument("--target", required=True, choices=["postgres", "spark"])
    loader.add_argument(
        "--raw", required=True, type=Path, help="directory of the raw files"
    )
    loader.add_argument(
        "--csv-encoding", default="utf-8", help="utf-8 (default), utf-16 or latin-1"
    )
    loader.add_argument("--csv-delimiter", default=",", help=", (default), ; or tab")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except EngineError as error:
        print(f"[engines] error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
