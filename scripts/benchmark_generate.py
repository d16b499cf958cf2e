"""Time `generate` + `write` for a large data set (default: about 10 million orders).

.venv/bin/python scripts/benchmark_generate.py --orders 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.devtools.generate import (
    ORDERS_PER_CUSTOMER,
    generate_with_manifest,
    write,
)


def main(argv: list[str] | None = None) -> int:
    """Print generation and write seconds, row counts and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--dirty-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None, help="default: a temp dir")
    args = parser.parse_args(argv)
    customers = math.ceil(args.orders / ORDERS_PER_CUSTOMER)

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        tables, manifest = generate_with_manifest(
            customers, args.seed, dt.date(2026, 6, 30), args.dirty_rate
        )
        t1 = time.perf_counter()
        write(tables, out, args.format, manifest)
        t2 = time.perf_counter()
        size = sum(p.stat().st_size for p in out.glob(f"*.{args.format}"))
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    rows = ", ".join(f"{name} {t.num_rows:,}" for name, t in tables.items())
    print(f"customers={customers:,} dirty_rate={args.dirty_rate} format={args.format}")
    print(f"rows: {rows}")
    print(
        f"generate {t1 - t0:.1f} s, write {t2 - t1:.1f} s, total {t2 - t0:.1f} s; "
        f"{size / 2**20:,.0f} MiB on disk; peak RSS {peak_gib:.2f} GiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
