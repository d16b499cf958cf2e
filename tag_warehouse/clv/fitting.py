"""Fits that never raise: each model's status, reason and spend remedy
(fit_clv_models, fit_mbgnbd_model, fit_gamma_gamma_robust)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from tag_warehouse.clv._common import (
    DEFAULT_WINSORISE_QUANTILES,
    LTV_MODELS,
    SPEND_REMEDIES,
    WEIGHT_COLUMN,
    ClvFitError,
    FitResult,
    FloatArray,
    ModelFit,
    _as_float_array,
    _collapse_rows,
    _weights,
    horizon_in_units,
    weighted_quantile,
)
from tag_warehouse.clv.bgnbd import (
    bgnbd_expected_purchases,
    bgnbd_prob_alive,
    fit_bgnbd,
)
from tag_warehouse.clv.gamma_gamma import fit_gamma_gamma, gamma_gamma_conditional_mean
from tag_warehouse.clv.mbgnbd import fit_mbgnbd, mbgnbd_prob_alive
from tag_warehouse.clv.predict import _purchase_predictions, predict_ltv


def _format_params(params: Mapping[str, float]) -> str:
    return ", ".join(f"{name}={value:.4g}" for name, value in params.items())


def _prediction_problem(
    values: FloatArray, what: str, counts: FloatArray | None = None
) -> str:
    """'' when every value is finite and >= 0, else a sentence saying for how
    many customers not (``counts``: customers per value, 1 each when None)."""
    bad = ~np.isfinite(values) | (values < 0)
    if not bad.any():
        return ""
    if counts is None:
        counts = np.ones(values.size)
    return (
        f"{int(counts[bad].sum())} of {int(counts.sum())} customers get a non-finite "
        f"or negative {what} (e.g. {values[bad][0]:.4g})"
    )


def _summary_weights(summary: pd.DataFrame) -> FloatArray | None:
    """The customers per row of a grouped summary (its WEIGHT_COLUMN), or None
    for a summary with one row per customer."""
    if WEIGHT_COLUMN not in summary.columns:
        return None
    return summary[WEIGHT_COLUMN].to_numpy(np.float64)


def fit_gamma_gamma_robust(
    x: ArrayLike,
    m: ArrayLike,
    remedy: str = "winsorise",
    quantiles: Sequence[float] = DEFAULT_WINSORISE_QUANTILES,
    weights: ArrayLike | None = None,
) -> ModelFit:
    """Gamma-Gamma fit with a remedy for heavy-tailed spend; never raises.

    First the mean spend per purchase day ``m`` is fitted as it is. When that
    fit fails (typically q <= 1: mean spend across customers too heavy-tailed
    for a gamma mixing distribution) and ``remedy`` is "winsorise", the fit is
    repeated with ``m`` winsorised: capped at its ``quantiles[k]`` quantile over
    the repeat buyers, the mildest cap first, until a fit succeeds. Only the
    fit sees the capped values; predictions use each customer's own ``m``
    (``predict_ltv``), so the cap sets the population prior (and the spend of
    one-time buyers) without cutting a large customer's own history.
    ``weights`` (optional) are customers per row: the quantiles are those of
    the expanded rows (``weighted_quantile``), so grouped rows get the same cap.

    Returns:
        ModelFit "fitted" (spend_remedy "none" or "winsorised" with the cap and
        quantile) or "failed" with the reasons of every attempt.
    """
    if remedy not in SPEND_REMEDIES:
        raise ValueError(f"remedy must be one of {SPEND_REMEDIES}, got {remedy!r}")
    x_, m_ = np.broadcast_arrays(_as_float_array(x), _as_float_array(m))
    x_, m_ = x_.ravel(), m_.ravel()
    try:
        counts = _weights(weights, x_.size, "Gamma-Gamma")
    except ClvFitError as error:
        return ModelFit("gamma_gamma", "failed", str(error), None, 0, "none")
    usable = (x_ > 0) & (m_ > 0) & np.isfinite(m_)
    n_used = int(counts[usable].sum())
    try:
        fit = fit_gamma_gamma(x_, m_, weights=counts)
    except ClvFitError as error:
        first = str(error)
    else:
        return ModelFit("gamma_gamma", "fitted", "", fit, n_used, "none")
    if remedy == "none" or n_used < 2:
        return ModelFit("gamma_gamma", "failed", first, None, n_used, "none")
    spend, spend_counts = m_[usable], counts[usable]
    last, cap, quantile = first, None, None
    for quantile in quantiles:
        cap = weighted_quantile(spend, spend_counts, quantile)
        try:
            fit = fit_gamma_gamma(x_, np.minimum(m_, cap), weights=counts)
        except ClvFitError as error:
            last = str(error)
            continue
        return ModelFit(
            "gamma_gamma", "fitted", "", fit, n_used, "winsorised", cap, quantile
        )
    tried = ", ".join(f"{q:g}" for q in quantiles)
    return ModelFit(
        "gamma_gamma",
        "failed",
        f"{first} Winsorising the mean spend at quantiles {tried} did not help "
        f"either (last: {last})",
        None,
        n_used,
        "winsorised",
        cap,
        quantile,
    )


def _purchase_columns(summary: pd.DataFrame) -> list[FloatArray]:
    return [summary[c].to_numpy(np.float64) for c in ("frequency", "recency", "T")]


def _fit_bgnbd_outcome(summary: pd.DataFrame) -> ModelFit:
    weights = _summary_weights(summary)
    n = len(summary) if weights is None else int(weights.sum())
    try:
        fit = fit_bgnbd(*_purchase_columns(summary), weights=weights)
    except ClvFitError as error:
        return ModelFit("bgnbd", "failed", str(error), None, n)
    return ModelFit("bgnbd", "fitted", "", fit, n)


def _bgnbd_prediction_problem(fit: FitResult, summary: pd.DataFrame, t: float) -> str:
    """Expected purchases and P(alive) of every distinct (x, t_x, T): finite, >= 0."""
    (x, t_x, T), counts, _ = _collapse_rows(
        *_purchase_columns(summary), weights=_summary_weights(summary)
    )
    with np.errstate(all="ignore"):
        expected = bgnbd_expected_purchases(fit.params, t, x, t_x, T)
        alive = bgnbd_prob_alive(fit.params, x, t_x, T)
    return _prediction_problem(
        expected, "expected purchases", counts
    ) or _prediction_problem(alive, "probability of being alive", counts)


def fit_clv_models(
    summary: pd.DataFrame,
    horizon_years: float,
    unit: str,
    annual_discount_rate: float = 0.0,
    spend_remedy: str = "winsorise",
    winsorise_quantiles: Sequence[float] = DEFAULT_WINSORISE_QUANTILES,
    spend_summary: pd.DataFrame | None = None,
) -> dict[str, ModelFit]:
    """Fit BG/NBD and Gamma-Gamma on a summary; a failure is a status, never raised.

    A model fails when its optimiser did not converge, a parameter sits on the
    LOG_BOUND box, the Gamma-Gamma q <= 1 (after the spend remedy), the
    log-likelihood is not finite, or its predictions on this summary are not
    finite and >= 0 (expected purchases, P(alive), spend per purchase, LTV).

    Args:
        summary: ``summarise_transactions`` output (columns frequency, recency,
            T, monetary_value), one row per customer; or, with
            ``spend_summary``, the distinct (frequency, recency, T) with their
            customer counts in column ``customers`` (WEIGHT_COLUMN).
        horizon_years, unit, annual_discount_rate: as for ``predict_ltv``; the
            predictions checked are the ones the warehouse will write.
        spend_remedy, winsorise_quantiles: see ``fit_gamma_gamma_robust``.
        spend_summary: the distinct (frequency, monetary_value) of every
            customer with their counts (column ``customers``); None when
            ``summary`` has one row per customer. Grouped input gives the same
            fits as per-customer input (the weights are counts); only the LTV
            check differs: it bounds the largest discounted purchases times the
            largest spend instead of taking each customer's product.

    Returns:
        {"bgnbd": ModelFit, "gamma_gamma": ModelFit}.
    """
    spend_rows = summary if spend_summary is None else spend_summary
    if summary.empty:
        reason = (
            "no customer has a purchase up to the calibration end, so there is "
            "nothing to fit."
        )
        return {name: ModelFit(name, "failed", reason) for name in LTV_MODELS}
    bgnbd = _fit_bgnbd_outcome(summary)
    repeat = spend_rows[spend_rows["frequency"] > 0]
    gamma_gamma = fit_gamma_gamma_robust(
        repeat["frequency"],
        repeat["monetary_value"],
        spend_remedy,
        winsorise_quantiles,
        _summary_weights(repeat),
    )
    horizon = horizon_in_units(horizon_years, unit)
    if bgnbd.fit is not None:
        problem = _bgnbd_prediction_problem(bgnbd.fit, summary, horizon)
        if problem:
            bgnbd = bgnbd.failed_with(
                f"BG/NBD fit failed: the estimate ({_format_params(bgnbd.fit.params)}) "
                f"is degenerate: {problem}. Too few customers or too little "
                "repeat buying to fit it."
            )
    spend = np.zeros(0)
    if gamma_gamma.fit is not None:
        x = spend_rows["frequency"].to_numpy(np.float64)
        m = spend_rows["monetary_value"].to_numpy(np.float64)
        with np.errstate(all="ignore"):
            spend = gamma_gamma_conditional_mean(
                gamma_gamma.fit.params, np.where(m > 0, x, 0.0), m
            )
        problem = _prediction_problem(
            spend, "expected spend per purchase", _summary_weights(spend_rows)
        )
        if problem:
            gamma_gamma = gamma_gamma.failed_with(
                "Gamma-Gamma fit failed: the estimate "
                f"({_format_params(gamma_gamma.fit.params)}) is degenerate: {problem}."
            )
    if bgnbd.fit is not None and gamma_gamma.fit is not None:
        with np.errstate(all="ignore"):
            if spend_summary is None:
                ltv = predict_ltv(
                    summary,
                    bgnbd.fit,
                    gamma_gamma.fit,
                    horizon_years,
                    unit,
                    annual_discount_rate,
                )["predicted_ltv"].to_numpy(np.float64)
            else:
                _, discounted, _ = _purchase_predictions(
                    summary, bgnbd.fit, horizon_years, unit, annual_discount_rate
                )
                ltv = np.array([np.max(discounted) * np.max(spend)])
        problem = _prediction_problem(ltv, "predicted LTV")
        if problem:
            bgnbd = bgnbd.failed_with(
                f"BG/NBD fit failed: the estimate ({_format_params(bgnbd.fit.params)}) "
                f"is degenerate: {problem} (discounted over {horizon_years:g} years)."
            )
    return {"bgnbd": bgnbd, "gamma_gamma": gamma_gamma}


def fit_mbgnbd_model(summary: pd.DataFrame) -> ModelFit:
    """Fit MBG/NBD on a summary for P(alive); a failure is a status, never raised.

    Fails (status "failed" with the reason) like the BG/NBD of
    ``fit_clv_models``: no customer or no repeat buyer, no convergence, a
    parameter on the LOG_BOUND box, a non-finite log-likelihood, or a P(alive)
    that is not finite in [0, 1] for some customer of ``summary``. Separate from
    ``fit_clv_models`` because the LTV does not need it (``LTV_MODELS``).

    Args:
        summary: ``summarise_transactions`` output (frequency, recency, T), or
            the distinct (frequency, recency, T) with their customer counts in
            column ``customers`` (WEIGHT_COLUMN): the same fit.
    """
    weights = _summary_weights(summary)
    n = len(summary) if weights is None else int(weights.sum())
    if summary.empty:
        return ModelFit(
            "mbgnbd",
            "failed",
            "MBG/NBD fit failed: no customer has a purchase up to the calibration "
            "end, so there is nothing to fit.",
        )
    columns = _purchase_columns(summary)
    try:
        fit = fit_mbgnbd(*columns, weights=weights)
    except ClvFitError as error:
        return ModelFit("mbgnbd", "failed", str(error), None, n)
    (x, t_x, T), _, _ = _collapse_rows(*columns)
    with np.errstate(all="ignore"):
        alive = mbgnbd_prob_alive(fit.params, x, t_x, T)
    bad = ~np.isfinite(alive) | (alive < 0) | (alive > 1)
    if bad.any():
        return ModelFit(
            "mbgnbd",
            "failed",
            f"MBG/NBD fit failed: the estimate ({_format_params(fit.params)}) is "
            f"degenerate: {int(bad.sum())} distinct (x, t_x, T) rows get a P(alive) "
            "outside [0, 1]. Too few customers or too little repeat buying.",
            None,
            n,
        )
    return ModelFit("mbgnbd", "fitted", "", fit, n)
