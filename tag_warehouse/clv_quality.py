"""Holdout quality of the purchase models (issue #18 item 3): fit BG/NBD and
MBG/NBD on the transactions up to a calibration end, predict the purchases of the
next ``holdout_days``, and compare with what each customer did: per-customer MAE
and RMSE next to a naive baseline (the customer's own past repeat rate), total
predicted vs actual, and the conditional-expectation table (mean predicted vs
actual holdout purchases by calibration repeat purchases 0..7+).

Purchases are purchase days, as the models count them (summarise_transactions).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from tag_warehouse.clv import (
    bgnbd_expected_purchases,
    fit_bgnbd,
    fit_mbgnbd,
    mbgnbd_expected_purchases,
    summarise_transactions,
)

REPEAT_CAP = 7  # the conditional-expectation table's last row is "7+"
DAYS_PER_WEEK = 7.0
FITS = {
    "bgnbd": (fit_bgnbd, bgnbd_expected_purchases),
    "mbgnbd": (fit_mbgnbd, mbgnbd_expected_purchases),
}


def error_metrics(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and totals of per-customer predicted vs actual purchases."""
    errors = np.asarray(predicted, dtype=float) - np.asarray(actual, dtype=float)
    return {
        "mae": float(np.mean(np.abs(errors))) if errors.size else float("nan"),
        "rmse": float(np.sqrt(np.mean(errors**2))) if errors.size else float("nan"),
        "total_predicted": float(np.sum(predicted)),
        "total_actual": float(np.sum(actual)),
    }


def conditional_expectation(
    frequency: np.ndarray, predicted: np.ndarray, actual: np.ndarray
) -> list[dict[str, Any]]:
    """Rows 0, 1, ..., 7+ of calibration repeat purchases: customers, mean
    predicted and mean actual holdout purchases (buckets without customers are
    left out)."""
    bucket = np.minimum(np.asarray(frequency, dtype=int), REPEAT_CAP)
    rows = []
    for value in range(REPEAT_CAP + 1):
        chosen = bucket == value
        if not chosen.any():
            continue
        rows.append(
            {
                "repeat_purchases": f"{value}+" if value == REPEAT_CAP else str(value),
                "customers": int(chosen.sum()),
                "mean_predicted": float(np.mean(np.asarray(predicted)[chosen])),
                "mean_actual": float(np.mean(np.asarray(actual)[chosen])),
            }
        )
    return rows


def naive_prediction(summary: pd.DataFrame, horizon_weeks: float) -> np.ndarray:
    """The customer's own past repeat rate (repeat purchases per week since the
    first purchase) times the horizon; 0 for a customer first seen at the end."""
    age = summary["T"].to_numpy(dtype=float)
    repeats = summary["frequency"].to_numpy(dtype=float)
    rate = np.divide(repeats, age, out=np.zeros_like(repeats), where=age > 0)
    return rate * horizon_weeks


def holdout_quality(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str,
    calibration_end: dt.date,
    holdout_days: int,
) -> dict[str, Any]:
    """Fit on the transactions up to calibration_end (inclusive), score the
    holdout_days after it. Customers are those with a calibration purchase."""
    if holdout_days < 1:
        raise ValueError(f"holdout_days must be at least 1, got {holdout_days}")
    summary = summarise_transactions(
        transactions, customer_col, date_col, amount_col, calibration_end, "week"
    )
    days = pd.to_datetime(transactions[date_col]).dt.normalize()
    start = pd.Timestamp(calibration_end)
    end = start + pd.Timedelta(days=holdout_days)
    holdout = transactions.loc[(days > start) & (days <= end), [customer_col]]
    holdout = holdout.assign(day=days[(days > start) & (days <= end)])
    actual_counts = holdout.drop_duplicates().groupby(customer_col).size()
    actual = actual_counts.reindex(summary.index, fill_value=0).to_numpy(dtype=float)
    horizon = holdout_days / DAYS_PER_WEEK
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    big_t = summary["T"].to_numpy(dtype=float)
    naive = naive_prediction(summary, horizon)
    report: dict[str, Any] = {
        "calibration_end": calibration_end.isoformat(),
        "holdout_days": holdout_days,
        "customers": int(len(summary)),
        "naive": error_metrics(naive, actual),
        "models": {},
    }
    for name, (fit, expected) in FITS.items():
        result = fit(x, t_x, big_t)
        predicted = expected(result.params, horizon, x, t_x, big_t)
        report["models"][name] = {
            "params": result.params,
            **error_metrics(predicted, actual),
            "conditional_expectation": conditional_expectation(x, predicted, actual),
        }
    return report
