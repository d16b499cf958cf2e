"""Holdout quality of the CLV models (issue #18 item 3): fit BG/NBD, MBG/NBD and
Gamma-Gamma on the transactions up to a calibration end, predict the next
``holdout_days``, and compare with what each customer did.

* Purchase models (BG/NBD, MBG/NBD): per-customer MAE and RMSE of predicted vs
  actual holdout purchase days next to a naive baseline (the customer's own past
  repeat rate), total predicted vs actual, and the conditional-expectation table
  (mean predicted vs actual holdout purchases by calibration repeat purchases
  0..7+).
* Spend model (Gamma-Gamma): on the customers with a calibration repeat purchase
  (what it is fitted on) who bought in the holdout, MAE and RMSE of the expected
  spend per purchase day vs their actual holdout spend per purchase day, next to
  the naive baseline (their own calibration mean spend), and the holdout spend
  those predictions give at the actual purchase days vs the actual spend.

Each model is fitted as the warehouse fits it (``fit_clv_models``,
``fit_mbgnbd_model``): a fit that fails is a status and a reason for that model
only, never an exception. Purchases are purchase days, as the models count them
(summarise_transactions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from tag_warehouse.clv._common import (
    DAYS_PER_YEAR,
    DEFAULT_WINSORISE_QUANTILES,
    ModelFit,
)
from tag_warehouse.clv.bgnbd import bgnbd_expected_purchases
from tag_warehouse.clv.fitting import fit_clv_models, fit_mbgnbd_model
from tag_warehouse.clv.gamma_gamma import gamma_gamma_conditional_mean
from tag_warehouse.clv.mbgnbd import mbgnbd_expected_purchases
from tag_warehouse.clv.summary import summarise_transactions
from tag_warehouse.clv.table import FitSettings

REPEAT_CAP = 7  # the conditional-expectation table's last row is "7+"
DAYS_PER_WEEK = 7.0
UNIT = "week"  # the time unit the backtest fits and predicts in
MODELS = ("bgnbd", "gamma_gamma", "mbgnbd")
EXPECTED_PURCHASES: dict[str, Callable[..., np.ndarray]] = {
    "bgnbd": bgnbd_expected_purchases,
    "mbgnbd": mbgnbd_expected_purchases,
}
# What each model predicts, per customer (the unit of its MAE and RMSE).
PREDICTS = {
    "bgnbd": "purchase_days",
    "mbgnbd": "purchase_days",
    "gamma_gamma": "spend_per_purchase_day",
}
ALL_CUSTOMERS = "all"  # the bucket of the measures over every scored customer


def backtest_settings(settings: FitSettings, holdout_days: int) -> FitSettings:
    """The settings of the backtest's fits, as holdout_quality fits: the build's
    as_of_date, switches and spend remedy (from ``settings``), in weeks, checked
    over the holdout, undiscounted (fit_clv_models checks its predictions over
    that horizon). What int_clv_calibration_models_fitted and the client-side
    fit step fit with."""
    return replace(
        settings,
        horizon_years=holdout_days / DAYS_PER_YEAR,
        unit=UNIT,
        annual_discount_rate=0.0,
    )


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


def holdout_days_and_spend(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str,
    start: pd.Timestamp,
    holdout_days: int,
) -> pd.DataFrame:
    """Per customer who bought in (start, start + holdout_days]: purchase days
    and spend (amounts summed, missing amounts as 0)."""
    days = pd.to_datetime(transactions[date_col]).dt.normalize()
    chosen = (days > start) & (days <= start + pd.Timedelta(days=holdout_days))
    holdout = pd.DataFrame(
        {
            "customer": transactions.loc[chosen, customer_col],
            "day": days[chosen],
            "amount": pd.to_numeric(transactions.loc[chosen, amount_col]).fillna(0),
        }
    )
    return holdout.groupby("customer").agg(
        purchase_days=("day", "nunique"), spend=("amount", "sum")
    )


def not_fitted(outcome: ModelFit) -> dict[str, Any]:
    return {"status": outcome.status, "reason": outcome.reason}


def purchase_quality(
    outcome: ModelFit,
    summary: pd.DataFrame,
    horizon_weeks: float,
    actual: np.ndarray,
) -> dict[str, Any]:
    """A purchase model's measures against the actual holdout purchase days."""
    if outcome.fit is None:
        return not_fitted(outcome)
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    big_t = summary["T"].to_numpy(dtype=float)
    expected = EXPECTED_PURCHASES[outcome.model]
    predicted = expected(outcome.fit.params, horizon_weeks, x, t_x, big_t)
    return {
        "status": "fitted",
        "reason": "",
        "params": outcome.fit.params,
        "customers": int(len(summary)),
        **error_metrics(predicted, actual),
        "conditional_expectation": conditional_expectation(x, predicted, actual),
    }


def spend_quality(
    outcome: ModelFit, summary: pd.DataFrame, holdout: pd.DataFrame
) -> dict[str, Any]:
    """The Gamma-Gamma's expected spend per purchase day vs the holdout's, on the
    repeat buyers of the calibration who bought in the holdout; totals are the
    holdout spend (prediction x actual purchase days vs actual spend)."""
    if outcome.fit is None:
        return not_fitted(outcome)
    scored = summary[summary["frequency"] > 0].join(holdout, how="inner")
    x = scored["frequency"].to_numpy(dtype=float)
    own = scored["monetary_value"].to_numpy(dtype=float)
    bought = scored["purchase_days"].to_numpy(dtype=float)
    actual = scored["spend"].to_numpy(dtype=float) / np.maximum(bought, 1.0)
    predicted = gamma_gamma_conditional_mean(outcome.fit.params, x, own)
    model, naive = error_metrics(predicted, actual), error_metrics(own, actual)
    total_actual = float(np.sum(scored["spend"]))
    return {
        "status": "fitted",
        "reason": "",
        "params": outcome.fit.params,
        "spend_remedy": outcome.spend_remedy,
        "customers": int(len(scored)),
        **model,
        "total_predicted": float(np.sum(predicted * bought)),
        "total_actual": total_actual,
        "naive": {
            **naive,
            "total_predicted": float(np.sum(own * bought)),
            "total_actual": total_actual,
        },
    }


def holdout_quality(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str,
    calibration_end: dt.date,
    holdout_days: int,
    models: Sequence[str] = MODELS,
    spend_remedy: str = "winsorise",
    winsorise_quantiles: Sequence[float] = DEFAULT_WINSORISE_QUANTILES,
) -> dict[str, Any]:
    """Fit ``models`` on the transactions up to calibration_end (inclusive),
    score the holdout_days after it. Customers are those with a calibration
    purchase. A model whose fit fails has status "failed" and its reason."""
    if holdout_days < 1:
        raise ValueError(f"holdout_days must be at least 1, got {holdout_days}")
    unknown = set(models) - set(MODELS)
    if unknown:
        raise ValueError(f"unknown model(s) {sorted(unknown)}; known: {MODELS}")
    summary = summarise_transactions(
        transactions, customer_col, date_col, amount_col, calibration_end, UNIT
    )
    holdout = holdout_days_and_spend(
        transactions,
        customer_col,
        date_col,
        amount_col,
        pd.Timestamp(calibration_end),
        holdout_days,
    )
    actual = (
        holdout["purchase_days"]
        .reindex(summary.index, fill_value=0)
        .to_numpy(dtype=float)
    )
    horizon = holdout_days / DAYS_PER_WEEK
    naive = naive_prediction(summary, horizon)
    x = summary["frequency"].to_numpy(dtype=float)
    report: dict[str, Any] = {
        "calibration_end": calibration_end.isoformat(),
        "holdout_days": holdout_days,
        "customers": int(len(summary)),
        "naive": error_metrics(naive, actual),
        "naive_conditional_expectation": conditional_expectation(x, naive, actual),
        "models": {},
    }
    fits: dict[str, ModelFit] = {}
    if {"bgnbd", "gamma_gamma"} & set(models):
        fits |= fit_clv_models(
            summary,
            horizon_years=holdout_days / DAYS_PER_YEAR,
            unit=UNIT,
            spend_remedy=spend_remedy,
            winsorise_quantiles=winsorise_quantiles,
        )
    if "mbgnbd" in models:
        fits["mbgnbd"] = fit_mbgnbd_model(summary)
    for name in (model for model in MODELS if model in models):
        if name == "gamma_gamma":
            quality = spend_quality(fits[name], summary, holdout)
        else:
            quality = purchase_quality(fits[name], summary, horizon, actual)
        report["models"][name] = quality
    return report


def _number(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _row(
    model: str, measure: str | None, bucket: str, customers: int | None, **values: Any
) -> dict[str, Any]:
    return {
        "model": model,
        "measure": measure,
        "calibration_repeat_purchases": bucket,
        "customers": customers,
        **{
            key: _number(values.get(key))
            for key in ("model_value", "naive_value", "actual_value")
        },
    }


def quality_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """holdout_quality's report as a long table, one row per (model, measure,
    bucket): mae and rmse (model_value next to naive_value), total (predicted,
    naive and actual) over every scored customer (bucket "all"), and for a
    purchase model the conditional expectation per bucket 0..6, 7+ (mean
    predicted, mean naive, mean actual). A model not fitted has one row, no
    measure, with its status and reason."""
    rows = []
    naive_buckets = {
        row["repeat_purchases"]: row for row in report["naive_conditional_expectation"]
    }
    for name, quality in report["models"].items():
        common = {"status": quality["status"], "reason": quality["reason"] or None}
        common["predicts"] = PREDICTS[name]
        if quality["status"] != "fitted":
            rows.append(_row(name, None, ALL_CUSTOMERS, None) | common)
            continue
        naive = quality.get("naive", report["naive"])
        customers = quality["customers"]
        measures = [
            _row(name, error, ALL_CUSTOMERS, customers, model_value=quality[error])
            | {"naive_value": _number(naive[error])}
            for error in ("mae", "rmse")
        ]
        measures.append(
            _row(
                name,
                "total",
                ALL_CUSTOMERS,
                customers,
                model_value=quality["total_predicted"],
                naive_value=naive["total_predicted"],
                actual_value=quality["total_actual"],
            )
        )
        for bucket in quality.get("conditional_expectation", []):
            key = bucket["repeat_purchases"]
            measures.append(
                _row(
                    name,
                    "conditional_expectation",
                    key,
                    bucket["customers"],
                    model_value=bucket["mean_predicted"],
                    naive_value=naive_buckets[key]["mean_predicted"],
                    actual_value=bucket["mean_actual"],
                )
            )
        rows.extend(row | common for row in measures)
    return rows
