"""Build the warehouse on a large generated data set under a tight DuckDB memory limit.

    python scripts/scale_test.py --customers 700000 --memory-limit 1GB

Generates the data (about 14 orders per customer) into a temporary directory, runs
`dbt build` with WAREHOUSE_MEMORY_LIMIT and a spill directory, and prints the wall
time, the peak resident memory of the dbt process tree and how much DuckDB spilled.
A script, not a test: the figures go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.devtools.benchmark import measure

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=700_000)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tag_scale_"))
    raw_dir, spill = workdir / "raw", workdir / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    as_of = dt.date.today().isoformat()
    if not (raw_dir / "orders.parquet").exists():
        print(f"generating {args.customers:,} customers into {raw_dir}", flush=True)
        subprocess.run(
            [
                str(BIN / "python"),
                str(ROOT / "scripts" / "generate_data.py"),
                "--customers",
                str(args.customers),
                "--as-of",
                as_of,
                "--out",
                str(raw_dir),
            ],
            check=True,
        )
    env = {
        **os.environ,
        "WAREHOUSE_DB": str(workdir / "warehouse.duckdb"),
        "WAREHOUSE_MEMORY_LIMIT": args.memory_limit,
        "WAREHOUSE_TEMP_DIR": str(spill),
        "WAREHOUSE_THREADS": str(args.threads),
    }
    print(f"dbt build with memory_limit={args.memory_limit}", flush=True)
    run = measure(
        "dbt build",
        [
            str(BIN / "dbt"),
            "build",
            "--target-path",
            str(workdir / "target"),
            "--vars",
            json.dumps({"raw_data_path": str(raw_dir), "as_of_date": as_of}),
        ],
        env=env,
        interval=0.5,
        watch=spill,
        capture=False,
    )
    result = {
        "exit_code": run.returncode,
        "seconds": round(run.seconds, 1),
        "cpu_seconds": round(run.cpu_seconds, 1),
        "peak_rss_gb": round(run.peak_rss_bytes / 2**30, 2),
        "peak_spill_gb": round(run.peak_watched_bytes / 2**30, 2),
        "customers": args.customers,
        "memory_limit": args.memory_limit,
    }
    print(json.dumps(result, indent=2))
    return int(result["exit_code"])


if __name__ == "__main__":
    raise SystemExit(main())
