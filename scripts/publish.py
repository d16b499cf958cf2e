"""Publish the built marts as a new Parquet version for BI readers (lock-free).

    .venv/bin/python scripts/publish.py         # warehouse.duckdb -> published/
    .venv/bin/python scripts/publish.py --out /srv/bi/tags --keep 5 \
        --run-results target/run_results.json

Readers use published/serving.duckdb (read-only) or published/current/*.parquet and
never open the warehouse; see docs/bi.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.publish import (
    DEFAULT_GRACE_SECONDS,
    DEFAULT_KEEP,
    PUBLISH_DIR_ENV,
    PublishError,
    default_publish_dir,
    publish,
)


def _keep(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get("WAREHOUSE_DB", "warehouse.duckdb")),
        help="the built DuckDB warehouse (default: $WAREHOUSE_DB or warehouse.duckdb)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"publish folder (default: ${PUBLISH_DIR_ENV} or published)",
    )
    parser.add_argument(
        "--keep",
        type=_keep,
        default=DEFAULT_KEEP,
        help=f"versions to keep, the new one included (default {DEFAULT_KEEP})",
    )
    parser.add_argument(
        "--grace-seconds",
        type=float,
        default=DEFAULT_GRACE_SECONDS,
        help="delete an old version only once it was replaced this long ago"
        f" (default {DEFAULT_GRACE_SECONDS:.0f})",
    )
    parser.add_argument(
        "--run-results",
        type=Path,
        default=None,
        help="dbt run_results.json of the build: refuse failed builds, record its id",
    )
    args = parser.parse_args(argv)
    out_dir = args.out or default_publish_dir()
    try:
        result = publish(
            args.warehouse, out_dir, args.keep, args.run_results, args.grace_seconds
        )
    except PublishError as error:
        print(f"publish failed: {error}", file=sys.stderr)
        return 1
    summary = {
        "version": result.version,
        "path": str(result.path),
        "serving_db": str(result.serving_db),
        "tables": result.row_counts,
        "removed_versions": result.removed,
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
