"""Generate the synthetic raw CRM tables (customers, orders, promotions, interactions).

Example (the bundled demo set; the demo build uses as_of_date = 2026-06-30, the
default --as-of here, so its tags are reproducible):

    .venv/bin/python scripts/generate_data.py --customers 10000 --out data/demo
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.devtools.generate import (
    CHUNK_CUSTOMERS,
    FORMATS,
    SPEND_MIXES,
    generate_chunks,
    generate_with_manifest,
    write,
    write_chunks,
)

DEFAULT_AS_OF = "2026-06-30"  # fixed, so the default output never depends on today


class _UsageError(Exception):
    """A command-line argument is invalid."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"must be within 0..0.5, got {text}")
    return value


def _years(text: str) -> float:
    value = float(text)
    if not 0.1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"must be within 0.1..50, got {text}")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = _Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=_positive_int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--as-of",
        type=_date,
        default=dt.date.fromisoformat(DEFAULT_AS_OF),
        help=f"reference date YYYY-MM-DD (default {DEFAULT_AS_OF}; the demo build's "
        "as_of_date)",
    )
    parser.add_argument(
        "--dirty-rate",
        type=_rate,
        default=0.0,
        help="share of rows per dirt kind, 0..0.5 (default 0: clean data)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="parquet",
        help="parquet (default, every column text), csv, or typed: Parquet with the "
        "dates, timestamps, amounts and counts typed (malformed dirt becomes null)",
    )
    parser.add_argument("--out", type=Path, default=Path("data/demo"))
    parser.add_argument(
        "--years", type=_years, default=3.0, help="history length (default 3)"
    )
    parser.add_argument(
        "--spend-mix",
        choices=SPEND_MIXES,
        default="standard",
        help="standard (default, the demo) or b2c_b2b: mostly consumers spending a "
        "few hundred per order beside business accounts spending tens of thousands",
    )
    parser.add_argument(
        "--chunk-customers",
        type=_positive_int,
        default=CHUNK_CUSTOMERS,
        help="above this many customers, generate and write chunk by chunk of this "
        f"many (default {CHUNK_CUSTOMERS:,}: a few GB of memory; 100 million orders "
        "in one piece need about 40 GB). Chunked data is other rows than unchunked",
    )
    return parser


def _report(verb: str) -> Callable[[str, int, float], None]:
    def show(name: str, rows: int, seconds: float) -> None:
        print(f"{verb:<9} {name:<22} {rows:>12,} rows {seconds:7.2f} s", flush=True)

    return show


def main(argv: list[str] | None = None) -> int:
    """Run the generator; 0 on success, 2 on invalid arguments."""
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        print(f"generate_data: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if args.customers > args.chunk_customers:
        chunks = generate_chunks(
            args.customers,
            args.seed,
            args.as_of,
            args.dirty_rate,
            args.years,
            chunk_customers=args.chunk_customers,
            progress=_report("generated"),
            spend_mix=args.spend_mix,
        )
        counts, manifest = write_chunks(
            chunks, args.out, args.format, progress=_report("wrote")
        )
        rows = sum(counts.values())
    else:
        tables, manifest = generate_with_manifest(
            args.customers,
            args.seed,
            args.as_of,
            args.dirty_rate,
            args.years,
            progress=_report("generated"),
            spend_mix=args.spend_mix,
        )
        write(tables, args.out, args.format, manifest, progress=_report("wrote"))
        rows = sum(t.num_rows for t in tables.values())
    dirt = sum(sum(kinds.values()) for kinds in manifest.values())
    print(
        f"done: {rows:,} rows in 4 tables ({dirt:,} dirt rows), as_of {args.as_of}, "
        f"{args.format} -> {args.out} in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
