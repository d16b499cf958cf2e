"""Fit BG/NBD + Gamma-Gamma on a transaction file and print the fits as JSON.

Example:
    python scripts/fit_clv.py orders.parquet --calibration-end 2024-12-31 \
        --predictions-out predictions.parquet

User errors (missing file or column, bad dates, no repeat buyers, failed fit)
print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import _bootstrap  # noqa: F401  (puts the project root on sys.path)
import duckdb
import pandas as pd

from tag_warehouse.clv import (
    ClvFitError,
    ClvInputError,
    fit_bgnbd,
    fit_gamma_gamma,
    predict_ltv,
    summarise_transactions,
)

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


class CliError(Exception):
    """A user error reported as one line on stderr (exit status 2)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(
        description="Fit BG/NBD + Gamma-Gamma CLV models on a transaction file "
        "(CSV or Parquet) and print the fitted parameters as JSON."
    )
    parser.add_argument("path", type=Path, help="transactions (.csv or .parquet)")
    parser.add_argument("--customer-col", default="customer_id")
    parser.add_argument("--date-col", default="order_date")
    parser.add_argument("--amount-col", default="amount")
    parser.add_argument(
        "--calibration-end",
        metavar="DATE",
        default=None,
        help="last calibration day, e.g. 2024-12-31 (default: latest date in file)",
    )
    parser.add_argument("--unit", choices=("week", "day"), default="week")
    parser.add_argument("--horizon-years", type=float, default=3.0)
    parser.add_argument("--discount-rate", type=float, default=0.0)
    parser.add_argument(
        "--predictions-out",
        type=Path,
        default=None,
        help="write per-customer predictions to this .csv or .parquet file",
    )
    return parser.parse_args(argv)


def read_transactions(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read ``columns`` of a CSV/Parquet file with duckdb; CliError if impossible."""
    if not path.is_file():
        raise CliError(f"file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            relation = duckdb.read_csv(str(path))
        elif suffix in PARQUET_SUFFIXES:
            relation = duckdb.read_parquet(str(path))
        else:
            raise CliError(f"unsupported file type {suffix!r}: use .csv or .parquet")
        available = list(relation.columns)
        missing = [c for c in columns if c not in available]
        if missing:
            raise CliError(
                f"column {missing[0]!r} not found in {path}; "
                f"available columns: {', '.join(available)}"
            )
        quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        return relation.select(quoted).df()
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CliError(f"cannot read {path}: {first_line}") from None


def write_predictions(predictions: pd.DataFrame, path: Path) -> None:
    """Write predictions as CSV or Parquet depending on the file extension."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        predictions.to_parquet(path, index=False)
    else:
        predictions.to_csv(path, index=False)


def validate_args(args: argparse.Namespace) -> None:
    """Reject bad option values before any data is read."""
    if args.horizon_years <= 0:
        raise CliError("--horizon-years must be > 0")
    if args.discount_rate < 0:
        raise CliError("--discount-rate must be >= 0")
    if args.calibration_end is not None:
        try:
            date.fromisoformat(args.calibration_end)
        except ValueError:
            raise CliError(
                f"--calibration-end must be a date like 2024-12-31, "
                f"got {args.calibration_end!r}"
            ) from None
    out = args.predictions_out
    if out is not None and out.suffix.lower() not in CSV_SUFFIXES | PARQUET_SUFFIXES:
        raise CliError(
            f"unsupported output type {out.suffix!r} for --predictions-out: "
            "use .csv or .parquet"
        )


def run(args: argparse.Namespace) -> dict[str, object]:
    """Summarise, fit, optionally predict; return the JSON report."""
    validate_args(args)
    columns = [args.customer_col, args.date_col, args.amount_col]
    transactions = read_transactions(args.path, columns)
    summary = summarise_transactions(
        transactions,
        args.customer_col,
        args.date_col,
        args.amount_col,
        args.calibration_end,
        args.unit,
    )
    if summary.empty:
        raise CliError("no transactions on or before the calibration end date")
    bgnbd = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    gamma_gamma = fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    if args.predictions_out is not None:
        predictions = predict_ltv(
            summary,
            bgnbd,
            gamma_gamma,
            args.horizon_years,
            args.unit,
            args.discount_rate,
        )
        write_predictions(summary.join(predictions).reset_index(), args.predictions_out)
    return {
        "calibration_end": summary.attrs["calibration_end"],
        "unit": args.unit,
        "n_transactions": summary.attrs["n_transactions"],
        "n_customers": len(summary),
        "bgnbd": bgnbd.as_dict(),
        "gamma_gamma": gamma_gamma.as_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the process exit status."""
    args = parse_args(argv)
    try:
        report = run(args)
    except (CliError, ClvInputError, ClvFitError, OSError) as exc:
        message = " ".join(str(exc).split())
        print(f"fit_clv: error: {message}", file=sys.stderr)
        return 2
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
