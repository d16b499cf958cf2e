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
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        pending.extend(int(child) for child in children.split())
    return total


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run_measured(command: list[str], env: dict[str, str], spill: Path) -> dict:
    """Run a command; sample its tree's RSS and the spill directory while it runs."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    peak_rss, peak_spill = 0, 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_rss, peak_spill
        while not done.is_set():
            peak_rss = max(peak_rss, tree_rss_bytes(process.pid))
            peak_spill = max(peak_spill, directory_bytes(spill))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    done.set()
    sampler.join()
    return {
        "exit_code": code,
        "seconds": round(time.monotonic() - started, 1),
        "peak_rss_gb": round(peak_rss / 2**30, 2),
        "peak_spill_gb": round(peak_spill / 2**30, 2),
    }


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
    result = run_measured(
        [
            str(BIN / "dbt"),
            "build",
            "--target-path",
            str(workdir / "target"),
            "--vars",
            json.dumps({"raw_data_path": str(raw_dir), "as_of_date": as_of}),
        ],
        env,
        spill,
    )
    result.update(customers=args.customers, memory_limit=args.memory_limit)
    print(json.dumps(result, indent=2))
    return int(result["exit_code"])


if __name__ == "__main__":
    raise SystemExit(main())
