"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013):
likelihood, fit and the conditional mean spend."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from tag_warehouse.clv._common import (
    GAMMA_GAMMA_PARAM_NAMES,
    ClvFitError,
    FitResult,
    FloatArray,
    ParamsLike,
    _as_float_array,
    _collapse_rows,
    _Factor,
    _unpack_params,
    _weights,
)
from tag_warehouse.clv.optimise import _fit_result, _minimise


def gamma_gamma_log_likelihood(
    params: ParamsLike, x: ArrayLike, m: ArrayLike
) -> FloatArray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend m over x purchases.

    Density of the mean of x i.i.d. Gamma(p, nu) spends, nu ~ Gamma(q, gamma)
    (Fader & Hardie, "The Gamma-Gamma model of monetary value"):

        ln f = lnG(px+q) - lnG(px) - lnG(q) + q ln(gamma) + (px-1) ln m
               + px ln x - (px+q) ln(gamma + m x)

    Only meaningful for repeat buyers (x > 0, m > 0).
    """
    p, q, gamma = _unpack_params(params, GAMMA_GAMMA_PARAM_NAMES)
    x_, m_ = np.broadcast_arrays(_as_float_array(x), _as_float_array(m))
    px = p * x_
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * math.log(gamma)
        + (px - 1.0) * np.log(m_)
        + px * np.log(x_)
        - (px + q) * np.log(gamma + m_ * x_)
    )


@dataclass(frozen=True)
class _GammaGammaData:
    """Weighted distinct (x, m) rows with x-only terms factorised out."""

    x: FloatArray
    m: FloatArray
    weights: FloatArray
    x_factor: _Factor
    x_weights: FloatArray
    sum_log_m: float  # sum of w ln m
    sum_x_log_m: float  # sum of w x ln m

    @classmethod
    def from_rows(
        cls, x: FloatArray, m: FloatArray, weights: FloatArray
    ) -> _GammaGammaData:
        x_factor = _Factor.of(x)
        x_weights = np.bincount(x_factor.index, weights, x_factor.values.size)
        log_m = np.log(m)
        return cls(
            x,
            m,
            weights,
            x_factor,
            x_weights,
            float(weights @ log_m),
            float(weights @ (x * log_m)),
        )


def _gamma_gamma_negll_and_grad(
    log_params: FloatArray, data: _GammaGammaData
) -> tuple[float, FloatArray]:
    """Mean weighted negative log-likelihood and gradient w.r.t. log-params."""
    p, q, gamma = np.exp(log_params)
    xv = data.x_factor.values
    # Per distinct x.
    lg_x = special.gammaln(p * xv + q) - special.gammaln(p * xv) + p * xv * np.log(xv)
    psi_pxq = special.digamma(p * xv + q)
    psi_px = special.digamma(p * xv)
    # Per row: ln(gamma + m x) and its reciprocal.
    w, x_w = data.weights, data.x_weights
    total = x_w.sum()
    gmx = gamma + data.m * data.x
    log_gmx = np.log(gmx)
    pxq = p * data.x + q
    log_likelihood = (
        x_w @ lg_x
        + total * (q * math.log(gamma) - special.gammaln(q))
        + p * data.sum_x_log_m
        - data.sum_log_m
        - w @ (pxq * log_gmx)
    )
    d_p = (
        x_w @ (xv * (psi_pxq - psi_px + np.log(xv)))
        + data.sum_x_log_m
        - w @ (data.x * log_gmx)
    )
    d_q = x_w @ psi_pxq + total * (math.log(gamma) - special.digamma(q)) - w @ log_gmx
    d_gamma = total * q / gamma - w @ (pxq / gmx)
    grad = np.array([d_p, d_q, d_gamma]) * np.array([p, q, gamma])
    return -float(log_likelihood) / total, -grad / total


def fit_gamma_gamma(
    x: ArrayLike,
    m: ArrayLike,
    initial_params: ParamsLike | None = None,
    max_iterations: int = 2000,
    weights: ArrayLike | None = None,
) -> FitResult:
    """Maximum-likelihood Gamma-Gamma fit on repeat buyers (x > 0 and m > 0).

    Other customers are ignored (``n_customers`` counts the ones used).
    ``weights`` (optional) are counts: row i stands for weights[i] customers
    with the same (x, m); the fit equals the one on the expanded rows.

    Raises:
        ClvFitError: fewer than 2 repeat buyers with positive spend, optimiser
            failure, non-finite parameters, or q <= 1 (the conditional mean spend
            p*gamma/(q-1) would not exist).
    """
    x_, m_ = np.broadcast_arrays(_as_float_array(x), _as_float_array(m))
    x_, m_ = x_.ravel(), m_.ravel()
    counts = _weights(weights, x_.size, "Gamma-Gamma")
    usable = (x_ > 0) & (m_ > 0) & np.isfinite(m_)
    n_usable = int(counts[usable].sum())
    if n_usable < 2:
        raise ClvFitError(
            "Gamma-Gamma fit failed: need at least 2 repeat buyers (frequency > 0) "
            f"with positive monetary value, found {n_usable}; use a longer "
            "calibration period or check the amount column."
        )
    x_, m_ = x_[usable], m_[usable]
    (ux, um), row_weights, _ = _collapse_rows(x_, m_, weights=counts[usable])
    data = _GammaGammaData.from_rows(ux, um, row_weights)
    if initial_params is None:
        # p = 1, q = 2 and gamma chosen so the population mean p*gamma/(q-1)
        # matches the average monetary value.
        initial = np.array([1.0, 2.0, float(row_weights @ um) / n_usable])
    else:
        initial = np.array(_unpack_params(initial_params, GAMMA_GAMMA_PARAM_NAMES))

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        return _gamma_gamma_negll_and_grad(log_params, data)

    log_params, nit, message = _minimise(
        "Gamma-Gamma", objective, np.log(initial), max_iterations
    )
    params = np.exp(log_params)
    if params[1] <= 1.0:
        raise ClvFitError(
            f"Gamma-Gamma fit gave q = {params[1]:.4g} <= 1, so the expected spend "
            "per purchase p*gamma/(q-1) is undefined (spend is too heavy-tailed); "
            "cap or remove extreme order amounts, or use a longer calibration period."
        )
    total_ll = float(row_weights @ gamma_gamma_log_likelihood(params, ux, um))
    return _fit_result(
        "gamma_gamma",
        GAMMA_GAMMA_PARAM_NAMES,
        log_params,
        total_ll,
        nit,
        n_usable,
        message,
    )


def gamma_gamma_conditional_mean(
    params: ParamsLike, x: ArrayLike, m: ArrayLike
) -> FloatArray:
    """E[spend per purchase | x, m] = (gamma + m x) p / (p x + q - 1).

    For x == 0 this reduces to the population mean p gamma / (q - 1).
    """
    p, q, gamma = _unpack_params(params, GAMMA_GAMMA_PARAM_NAMES)
    if q <= 1.0:
        raise ClvFitError(f"Gamma-Gamma conditional mean needs q > 1, got q = {q}.")
    x_, m_ = np.broadcast_arrays(_as_float_array(x), _as_float_array(m))
    m_ = np.where(x_ > 0, m_, 0.0)
    return (gamma + m_ * x_) * p / (p * x_ + q - 1.0)
