"""Fit BG/NBD + Gamma-Gamma (LTV) and MBG/NBD (P(alive)) on a transaction file
and print the fits as JSON.

Example:
    python scripts/fit_clv.py orders.parquet --calibration-end 2024-12-31 \
        --predictions-out predictions.parquet

User errors (missing file or column, bad dates, bad options) print one line to
stderr and exit with status 2. A model that cannot be fitted (no convergence, a
parameter on its bound, q <= 1 even after the spend remedy, non-finite
predictions, too little data) is not an error: the JSON gives each model's
"status" ("fitted" or "failed") and "reason", and the exit status is 0, or 3 with
--fail-on-failed-fit. The predictions file holds the LTV columns when BG/NBD and
Gamma-Gamma are fitted and ``p_alive`` (MBG/NBD) when MBG/NBD is fitted, null
otherwise; it is not written when no model is fitted.
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
    DEFAULT_WINSORISE_QUANTILES,
    SPEND_REMEDIES,
    ClvFitError,
    ClvInputError,
    fit_clv_models,
    fit_mbgnbd_model,
    mbgnbd_prob_alive,
    predict_ltv,
    summarise_transactions,
)
from tag_warehouse.clv.quality import holdout_quality

FAILED_FIT_STATUS = 3  # exit status for a failed fit with --fail-on-failed-fit
MODELS = ("bgnbd", "gamma_gamma", "mbgnbd")  # the models of the JSON report
LTV_COLUMNS = (
    "expected_purchases",
    "expected_spend_per_purchase",
    "predicted_ltv",
    "prob_alive",
)
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


class CliError(Exception):
    """A user error reported as one line on stderr (exit status 2)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(
        description="Fit BG/NBD + Gamma-Gamma CLV models and the MBG/NBD "
        "P(alive) model on a transaction file (CSV or Parquet) and print the "
        "fitted parameters as JSON."
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
        help="write per-customer predictions to this .csv or .parquet file: the "
        "LTV columns (prob_alive is BG/NBD's) when BG/NBD and Gamma-Gamma are "
        "fitted, p_alive when MBG/NBD is fitted, null otherwise; not written when "
        "no model is fitted",
    )
    parser.add_argument(
        "--spend-remedy",
        choices=SPEND_REMEDIES,
        default="winsorise",
        help="winsorise (default): when the Gamma-Gamma fit fails, fit the mean "
        "spend capped at the --winsorise-quantiles in turn; none: never",
    )
    parser.add_argument(
        "--winsorise-quantiles",
        type=_quantiles,
        default=DEFAULT_WINSORISE_QUANTILES,
        metavar="Q[,Q...]",
        help="quantiles tried in turn, mildest first (default "
        f"{','.join(f'{q:g}' for q in DEFAULT_WINSORISE_QUANTILES)})",
    )
    parser.add_argument(
        "--holdout-days",
        type=int,
        default=None,
        help="also report the holdout quality (key holdout_quality): fit BG/NBD,"
        " MBG/NBD and Gamma-Gamma up to --calibration-end (default: the latest date"
        " minus N days), predict the N days after, MAE/RMSE vs the naive past rate"
        " (past mean spend for Gamma-Gamma), totals and the conditional-expectation"
        " table; a model that cannot be fitted gets its status and reason",
    )
    parser.add_argument(
        "--fail-on-failed-fit",
        action="store_true",
        help=f"exit with status {FAILED_FIT_STATUS} when a model is not fitted",
    )
    return parser.parse_args(argv)


def _quantiles(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers like 0.99,0.95, got {text!r}"
        ) from None
    if not all(0.5 < q <= 1 for q in values):
        raise argparse.ArgumentTypeError(f"each must be above 0.5 and <= 1: {text!r}")
    return values


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
    if args.holdout_days is not None and args.holdout_days < 1:
        raise CliError(f"--holdout-days must be at least 1, got {args.holdout_days}")
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
    quality = None
    if args.holdout_days is not None:
        quality = holdout_report(args, transactions)
    fits = fit_clv_models(
        summary,
        args.horizon_years,
        args.unit,
        args.discount_rate,
        args.spend_remedy,
        args.winsorise_quantiles,
    )
    bgnbd, gamma_gamma = fits["bgnbd"], fits["gamma_gamma"]
    mbgnbd = fit_mbgnbd_model(summary)
    written = None
    ltv_fitted = bgnbd.fit is not None and gamma_gamma.fit is not None
    if args.predictions_out is not None and (ltv_fitted or mbgnbd.fit is not None):
        predictions = pd.DataFrame(index=summary.index)
        if bgnbd.fit is not None and gamma_gamma.fit is not None:
            predictions = predict_ltv(
                summary,
                bgnbd.fit,
                gamma_gamma.fit,
                args.horizon_years,
                args.unit,
                args.discount_rate,
            )
        else:
            for column in LTV_COLUMNS:
                predictions[column] = float("nan")
        predictions["p_alive"] = (
            mbgnbd_prob_alive(
                mbgnbd.fit.params,
                summary["frequency"],
                summary["recency"],
                summary["T"],
            )
            if mbgnbd.fit is not None
            else float("nan")
        )
        write_predictions(summary.join(predictions).reset_index(), args.predictions_out)
        written = str(args.predictions_out)
    return {
        "calibration_end": summary.attrs["calibration_end"],
        "unit": args.unit,
        "n_transactions": summary.attrs["n_transactions"],
        "n_customers": len(summary),
        "bgnbd": bgnbd.as_dict(),
        "gamma_gamma": gamma_gamma.as_dict(),
        "mbgnbd": mbgnbd.as_dict(),
        "predictions_out": written,
        **({} if quality is None else {"holdout_quality": quality}),
    }


def holdout_report(
    args: argparse.Namespace, transactions: pd.DataFrame
) -> dict[str, object]:
    """holdout_quality for --holdout-days; a model that cannot be fitted on the
    calibration part gives status failed and its reason (that model only)."""
    if args.calibration_end is not None:
        end = date.fromisoformat(args.calibration_end)
    else:
        latest = pd.to_datetime(transactions[args.date_col]).max()
        end = (latest - pd.Timedelta(days=args.holdout_days)).date()
    try:
        return {
            "status": "fitted",
            **holdout_quality(
                transactions,
                args.customer_col,
                args.date_col,
                args.amount_col,
                end,
                args.holdout_days,
                spend_remedy=args.spend_remedy,
                winsorise_quantiles=args.winsorise_quantiles,
            ),
        }
    except ClvFitError as exc:
        return {"status": "failed", "reason": " ".join(str(exc).split())}


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
    failed = [
        model
        for model in MODELS
        if report[model]["status"] != "fitted"  # type: ignore[index]
    ]
    if failed:
        print(
            f"fit_clv: {', '.join(failed)} not fitted; see status and reason",
            file=sys.stderr,
        )
        if args.fail_on_failed_fit:
            return FAILED_FIT_STATUS
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
