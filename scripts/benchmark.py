"""Benchmark the warehouse against plain pandas and a hand-written DuckDB floor.

    .venv/bin/python scripts/benchmark.py --scales 100k,1m,10m [--formats parquet,typed]

For each scale (orders) it generates the data, times `dbt parse`, the full
`dbt build` (models; and with every test), the pandas version of the tags, the
floor query, and an incremental daily run after one more day of orders, checks
that every tag set is identical, and prints a table (seconds, orders per second,
peak RSS of the process tree, ratios). Results also go to a JSON file. The logic
is in tag_warehouse/devtools/benchmark.py; docs/performance.md has the measured numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.devtools.benchmark import (
    OPT_IN_SCALES,
    SCALES,
    format_table,
    machine,
    run_scale,
    run_tag_marts_scale,
)


def _scales(text: str) -> list[str]:
    chosen = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in SCALES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"choose from {', '.join(SCALES)} (comma separated), got {text!r}"
        )
    return chosen


def _formats(text: str) -> list[str]:
    chosen = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not chosen or any(part not in ("parquet", "typed") for part in chosen):
        raise argparse.ArgumentTypeError(
            f"choose from parquet, typed (comma separated), got {text!r}"
        )
    return chosen


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scales",
        type=_scales,
        default=["100k", "1m"],
        help=f"comma-separated orders scales: {', '.join(SCALES)} (default 100k,1m;"
        f" {', '.join(OPT_IN_SCALES)} only when named: tens of minutes, and about"
        " a few GB of memory to generate, chunk by chunk; see docs/performance.md)",
    )
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default="2026-06-30")
    parser.add_argument("--dirty-rate", type=float, default=0.02)
    parser.add_argument(
        "--formats",
        type=_formats,
        default=["parquet"],
        help="comma-separated raw formats, each a run per scale: parquet (text"
        " columns, the default) and/or typed (dates, timestamps, amounts and counts"
        " typed)",
    )
    parser.add_argument(
        "--no-pandas", action="store_true", help="skip the pandas version"
    )
    parser.add_argument(
        "--only-tag-marts",
        action="store_true",
        help="the lean run for 100m: generate (unless WORKDIR/<scale>/raw holds the"
        " files), the six tag marts (ltv off) and the floors, tags compared in"
        " DuckDB; no tests, pandas, Polars nor incremental day",
    )
    parser.add_argument(
        "--with-models",
        action="store_true",
        help="with --only-tag-marts: also the build of every model (no tests)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep data and warehouses here (default: a temporary directory)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("benchmark_results.json"),
        help="where to write the results (default benchmark_results.json)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tag_benchmark_") as scratch:
        base = args.workdir or Path(scratch)
        results = []
        report = {"machine": machine(), "results": results}
        for label in args.scales:
            for fmt in args.formats:
                workdir = base / (label if fmt == "parquet" else f"{label}_{fmt}")
                workdir.mkdir(parents=True, exist_ok=True)
                if args.only_tag_marts:
                    results.append(
                        run_tag_marts_scale(
                            label,
                            SCALES[label],
                            workdir,
                            args.as_of,
                            args.dirty_rate,
                            fmt=fmt,
                            every_model=args.with_models,
                        )
                    )
                    args.json.write_text(json.dumps(report, indent=2) + "\n")
                    continue
                results.append(
                    run_scale(
                        label,
                        SCALES[label],
                        workdir,
                        args.as_of,
                        args.dirty_rate,
                        pandas_too=not args.no_pandas,
                        fmt=fmt,
                    )
                )
                args.json.write_text(json.dumps(report, indent=2) + "\n")
        report["machine"]["load_average_after"] = machine()["load_average"]
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    info = report["machine"]
    print(
        f"\nmachine: {info['nproc']} cores, {info['memory_bytes'] / 2**30:.0f} GB,"
        f" {info['cpu_model']}; duckdb {info['duckdb']}, dbt {info['dbt_core']};"
        f" WAREHOUSE_MEMORY_LIMIT {info['warehouse_memory_limit']}\n"
    )
    print(format_table(results))
    print(f"\nresults: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
