"""Prediction: discounted expected purchases x expected spend = predicted LTV."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tag_warehouse.clv._common import (
    BGNBD_PARAM_NAMES,
    DAYS_PER_YEAR,
    DISCOUNT_CHUNK_ROWS,
    ClvInputError,
    DateLike,
    FitResult,
    FloatArray,
    Unit,
    _check_unit,
    _collapse_rows,
    _unpack_params,
    horizon_in_units,
)
from tag_warehouse.clv.bgnbd import (
    _bgnbd_alive_purchases,
    _bgnbd_log_alive_odds_inverse,
    fit_bgnbd,
)
from tag_warehouse.clv.gamma_gamma import fit_gamma_gamma, gamma_gamma_conditional_mean
from tag_warehouse.clv.summary import summarise_transactions


def _discounted_alive_purchases(
    bgnbd_params: tuple[float, ...],
    x: FloatArray,
    T: FloatArray,
    horizon_years: float,
    unit: str,
    annual_discount_rate: float,
) -> FloatArray:
    """Expected purchases-if-alive over the horizon, discounted monthly.

    Monthly step k ends at y_k = min(k/12, horizon_years) years. The increment
    of the if-alive expectation over each step is discounted by
    (1 + d)^(-y_k) and the increments are summed. (P(alive) does not depend
    on t, so discounting E[Y(t) | x, t_x, T] = alive_purchases(t) * P(alive)
    reduces to discounting alive_purchases, which depends on (x, T) only.)
    """
    r, alpha, a, b = bgnbd_params
    n_steps = max(1, math.ceil(horizon_years * 12.0 - 1e-9))
    step_years = np.minimum(np.arange(1, n_steps + 1) / 12.0, horizon_years)
    step_t = step_years * DAYS_PER_YEAR / _check_unit(unit)
    discount = (1.0 + annual_discount_rate) ** (-step_years)
    result = np.empty(x.size)
    for start in range(0, x.size, DISCOUNT_CHUNK_ROWS):  # bounded memory
        rows = slice(start, start + DISCOUNT_CHUNK_ROWS)
        cumulative = _bgnbd_alive_purchases(
            r, alpha, a, b, step_t[None, :], x[rows, None], T[rows, None]
        )
        result[rows] = np.diff(cumulative, axis=1, prepend=0.0) @ discount
    return result


def _purchase_predictions(
    summary_df: pd.DataFrame,
    bgnbd: FitResult,
    horizon_years: float,
    unit: str,
    annual_discount_rate: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per row of ``summary_df`` (frequency, recency, T): the expected purchases
    over the horizon, the same discounted (equal when the rate is 0) and
    P(alive), under the BG/NBD ``bgnbd``."""
    horizon = horizon_in_units(horizon_years, unit)
    params = _unpack_params(bgnbd.params, BGNBD_PARAM_NAMES)
    x = summary_df["frequency"].to_numpy(np.float64)
    t_x = summary_df["recency"].to_numpy(np.float64)
    T = summary_df["T"].to_numpy(np.float64)
    prob_alive = np.exp(-_bgnbd_log_alive_odds_inverse(*params, x, t_x, T))
    # The hypergeometric part depends on (x, T) only: evaluate it per distinct pair.
    (ux, uT), _, inverse = _collapse_rows(x, T)
    if x.size:
        alive_purchases = _bgnbd_alive_purchases(*params, np.float64(horizon), ux, uT)
        expected = alive_purchases[inverse] * prob_alive
        if annual_discount_rate > 0:
            discounted = (
                _discounted_alive_purchases(
                    params, ux, uT, horizon_years, unit, annual_discount_rate
                )[inverse]
                * prob_alive
            )
        else:
            discounted = expected
    else:
        expected = discounted = np.zeros(0)
    return expected, discounted, prob_alive


def predict_ltv(
    summary_df: pd.DataFrame,
    bgnbd: FitResult,
    gg: FitResult,
    horizon_years: float,
    unit: str,
    annual_discount_rate: float = 0.0,
) -> pd.DataFrame:
    """Per-customer expected purchases, spend per purchase and predicted LTV.

    * ``expected_purchases`` = E[Y(h) | x, t_x, T], h = horizon in ``unit``
      (weeks = years * 365.25 / 7, days = years * 365.25), undiscounted.
    * ``expected_spend_per_purchase`` = Gamma-Gamma conditional mean; customers
      with x == 0 (or a non-positive monetary value) get the population mean.
    * ``prob_alive`` = P(alive at the end of calibration).
    * ``predicted_ltv``: with ``annual_discount_rate`` d == 0 it is
      expected_purchases * expected_spend_per_purchase. With d > 0 the horizon
      is split into monthly steps (the last one possibly partial); the expected
      purchases in each step are the difference of the conditional expectation
      E[Y(t) | x, t_x, T] at the step's end and start, each step's purchases are
      discounted by (1 + d)^(-years elapsed at the step end), and the discounted
      purchases are multiplied by the expected spend per purchase.

    Args:
        summary_df: output of ``summarise_transactions`` (same ``unit``).
        bgnbd: fitted BG/NBD. gg: fitted Gamma-Gamma.
        horizon_years: prediction horizon in years (> 0).
        unit: time unit of ``summary_df`` ("week" or "day").
        annual_discount_rate: annual discount rate d >= 0.

    Returns:
        DataFrame with the index of ``summary_df``. Customers absent from the
        summary (no purchase in calibration) are the caller's to set to 0.
    """
    if horizon_years <= 0:
        raise ValueError(f"horizon_years must be > 0, got {horizon_years}")
    if annual_discount_rate < 0:
        raise ValueError(
            f"annual_discount_rate must be >= 0, got {annual_discount_rate}"
        )
    expected, discounted, prob_alive = _purchase_predictions(
        summary_df, bgnbd, horizon_years, unit, annual_discount_rate
    )
    x = summary_df["frequency"].to_numpy(np.float64)
    m = summary_df["monetary_value"].to_numpy(np.float64)
    x_spend = np.where(m > 0, x, 0.0)
    spend = gamma_gamma_conditional_mean(gg.params, x_spend, m)
    return pd.DataFrame(
        {
            "expected_purchases": expected,
            "expected_spend_per_purchase": spend,
            "predicted_ltv": discounted * spend,
            "prob_alive": prob_alive,
        },
        index=summary_df.index,
    )


def fit_and_predict(
    transactions_df: pd.DataFrame,
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    calibration_end: DateLike | None = None,
    unit: Unit = "week",
    horizon_years: float = 3.0,
    annual_discount_rate: float = 0.0,
) -> tuple[pd.DataFrame, list[FitResult]]:
    """Summarise, fit BG/NBD + Gamma-Gamma, and predict LTV in one call.

    ``calibration_end`` defaults to the latest transaction date.

    Returns:
        (predictions, [bgnbd_fit, gamma_gamma_fit]). ``predictions`` has one row
        per customer with a purchase on or before ``calibration_end``: the
        customer column, the summary columns and the ``predict_ltv`` columns.
    """
    summary = summarise_transactions(
        transactions_df, customer_col, date_col, amount_col, calibration_end, unit
    )
    if summary.empty:
        raise ClvInputError("no transactions on or before the calibration end date")
    bgnbd = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    gg = fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    predictions = predict_ltv(
        summary, bgnbd, gg, horizon_years, unit, annual_discount_rate
    )
    return summary.join(predictions).reset_index(), [bgnbd, gg]
