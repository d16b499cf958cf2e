"""BG/NBD purchase model (Fader, Hardie & Lee 2005): likelihood, fit, P(alive)
and expected purchases."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from tag_warehouse.clv._common import (
    BGNBD_PARAM_NAMES,
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


def _bgnbd_terms(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Pieces of the BG/NBD log-likelihood (FHL 2005, eq. 6).

    L = A1 * A2 * (A3 + [x > 0] * A4) with
      ln A1 = lnG(r+x) - lnG(r) + r ln(alpha)
      ln A2 = ln B(a, b+x) - ln B(a, b)
      ln A3 = -(r+x) ln(alpha+T)
      ln A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x)

    Returns ln A1 + ln A2, ln A3, ln A4 (-inf where x == 0) and the mixture
    log-term ln(A3 + [x > 0] A4), computed with logaddexp.
    """
    repeat = x > 0
    log_a1_a2 = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * math.log(alpha)
        + special.betaln(a, b + x)
        - special.betaln(a, b)
    )
    log_a3 = -(r + x) * np.log(alpha + T)
    b_x_1 = np.where(repeat, b + x - 1.0, 1.0)
    log_a4 = np.where(
        repeat, math.log(a) - np.log(b_x_1) - (r + x) * np.log(alpha + t_x), -np.inf
    )
    return log_a1_a2, log_a3, log_a4, np.logaddexp(log_a3, log_a4)


def bgnbd_log_likelihood(
    params: ParamsLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood ln L(r, alpha, a, b | x, t_x, T).

    Computed entirely in log space (gammaln/betaln, and
    ln(A3 + [x>0] A4) via logaddexp), so large x or T do not overflow.

    Args:
        params: (r, alpha, a, b) or a mapping with those names.
        x: frequency (repeat purchases). t_x: recency. T: customer age.
    """
    r, alpha, a, b = _unpack_params(params, BGNBD_PARAM_NAMES)
    x_, t_x_, T_ = np.broadcast_arrays(*map(_as_float_array, (x, t_x, T)))
    log_a1_a2, _, _, log_mix = _bgnbd_terms(r, alpha, a, b, x_, t_x_, T_)
    return log_a1_a2 + log_mix


@dataclass(frozen=True)
class _BgnbdData:
    """Weighted distinct (x, t_x, T) rows plus the factorisation of x.

    ``x_weights`` is the total weight of each distinct x value.
    """

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    weights: FloatArray
    x_factor: _Factor
    x_weights: FloatArray

    @classmethod
    def from_rows(
        cls, x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray
    ) -> _BgnbdData:
        x_factor = _Factor.of(x)
        x_weights = np.bincount(x_factor.index, weights, x_factor.values.size)
        return cls(x, t_x, T, weights, x_factor, x_weights)


def _bgnbd_negll_and_grad(
    log_params: FloatArray, data: _BgnbdData
) -> tuple[float, FloatArray]:
    """Mean weighted negative log-likelihood and its gradient w.r.t. log-params.

    Same terms as ``_bgnbd_terms``; the gradient uses the posterior weights
    w3 = A3 / (A3 + A4) and w4 = A4 / (A3 + A4) of the two mixture terms.
    """
    r, alpha, a, b = np.exp(log_params)
    xv, ix = data.x_factor.values, data.x_factor.index
    repeat_v = xv > 0
    b_x_1 = np.where(repeat_v, b + xv - 1.0, 1.0)
    # Per distinct x.
    lg_x = (
        special.gammaln(r + xv)
        - special.gammaln(r)
        + r * math.log(alpha)
        + special.betaln(a, b + xv)
        - special.betaln(a, b)
    )
    psi_r_x = special.digamma(r + xv)
    psi_ab_x = special.digamma(a + b + xv)
    psi_b_x = special.digamma(b + xv)
    # Per row. With d = ln A4 - ln A3 (-inf when x == 0):
    # ln(A3 + A4) = ln A3 + softplus(d), w4 = expit(d), w3 = 1 - w4.
    alpha_T = alpha + data.T
    alpha_t_x = alpha + data.t_x
    log_T, log_t_x = np.log(alpha_T), np.log(alpha_t_x)
    w = data.weights
    r_x = r + data.x
    log_a3 = -r_x * log_T
    d = np.where(
        data.x > 0, (math.log(a) - np.log(b_x_1))[ix] - r_x * (log_t_x - log_T), -np.inf
    )
    w4 = special.expit(d)
    w3 = 1.0 - w4
    x_w = data.x_weights
    total = x_w.sum()
    log_likelihood = x_w @ lg_x + w @ (log_a3 - special.log_expit(-d))
    d_r = (
        x_w @ psi_r_x
        + total * (math.log(alpha) - special.digamma(r))
        - w @ (w3 * log_T + w4 * log_t_x)
    )
    d_alpha = total * r / alpha - w @ (r_x * (w3 / alpha_T + w4 / alpha_t_x))
    psi_ab = special.digamma(a + b)
    w4_sum = w @ w4
    d_a = total * psi_ab - x_w @ psi_ab_x + w4_sum / a
    d_b = (
        x_w @ (psi_b_x - psi_ab_x)
        + total * (psi_ab - special.digamma(b))
        - w @ (w4 / b_x_1[ix])
    )
    # Chain rule for log-parameters.
    grad = np.array([d_r, d_alpha, d_a, d_b]) * np.array([r, alpha, a, b])
    return -float(log_likelihood) / total, -grad / total


def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    initial_params: ParamsLike | None = None,
    max_iterations: int = 2000,
    weights: ArrayLike | None = None,
) -> FitResult:
    """Maximum-likelihood BG/NBD fit.

    ``weights`` (optional) are counts: row i stands for weights[i] customers
    with the same (x, t_x, T), e.g. the distinct summaries grouped in the
    engine; the fit is the same as on the expanded rows (same optimum).
    Identical (x, t_x, T) rows are collapsed with weights first; the optimiser
    (L-BFGS-B with the analytic gradient, then a restarted L-BFGS-B polish) works
    on log r, log alpha, log a, log b.

    Raises:
        ClvFitError: no repeat purchases at all, invalid inputs, or the optimiser
            failed / returned non-finite parameters.
    """
    return _fit_purchase_model(
        "bgnbd",
        "BG/NBD",
        _bgnbd_negll_and_grad,
        bgnbd_log_likelihood,
        (x, t_x, T),
        initial_params,
        max_iterations,
        weights,
    )


def _fit_purchase_model(
    model: str,
    label: str,
    negll_and_grad: Callable[[FloatArray, _BgnbdData], tuple[float, FloatArray]],
    log_likelihood: Callable[..., FloatArray],
    data_columns: tuple[ArrayLike, ArrayLike, ArrayLike],
    initial_params: ParamsLike | None,
    max_iterations: int,
    row_weights: ArrayLike | None = None,
) -> FitResult:
    """The maximum-likelihood fit BG/NBD and MBG/NBD share (same data, same four
    parameters r, alpha, a, b): collapse identical (x, t_x, T) rows with weights
    (``row_weights``: counts of rows grouped beforehand, or None), minimise the
    weighted negative log-likelihood over log-parameters. Everything after the
    collapse reads only the sorted distinct rows and their weights, so grouped
    and per-customer input give the same fit."""
    x_, t_x_, T_ = np.broadcast_arrays(*map(_as_float_array, data_columns))
    x_, t_x_, T_ = x_.ravel(), t_x_.ravel(), T_.ravel()
    counts = _weights(row_weights, x_.size, label)
    _validate_bgnbd_inputs(x_, t_x_, T_, label)
    (ux, ut_x, uT), weights, _ = _collapse_rows(x_, t_x_, T_, weights=counts)
    data = _BgnbdData.from_rows(ux, ut_x, uT, weights)
    if initial_params is None:
        rate = max(float(weights @ ux) / max(float(weights @ uT), 1e-12), 1e-6)
        initial = np.array([1.0, 1.0 / rate, 1.0, 1.0])
    else:
        initial = np.array(_unpack_params(initial_params, BGNBD_PARAM_NAMES))

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        return negll_and_grad(log_params, data)

    log_params, nit, message = _minimise(
        label, objective, np.log(initial), max_iterations
    )
    params = np.exp(log_params)
    total_ll = float(weights @ log_likelihood(params, ux, ut_x, uT))
    return _fit_result(
        model,
        BGNBD_PARAM_NAMES,
        log_params,
        total_ll,
        nit,
        int(weights.sum()),
        message,
    )


def _validate_bgnbd_inputs(
    x: FloatArray, t_x: FloatArray, T: FloatArray, model: str = "BG/NBD"
) -> None:
    """Inputs of the BG/NBD or (``model``) MBG/NBD fit; ClvFitError naming it."""
    if x.size == 0:
        raise ClvFitError(f"{model} fit failed: no customers to fit on.")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ClvFitError(f"{model} fit failed: x, t_x and T must all be finite.")
    if (x < 0).any() or (t_x < 0).any() or (t_x > T).any():
        raise ClvFitError(
            f"{model} fit failed: inputs must satisfy x >= 0 and 0 <= t_x <= T; "
            "check the recency/T columns and the calibration end date."
        )
    if not (x > 0).any():
        raise ClvFitError(
            f"{model} fit failed: no customer has a repeat purchase (all x == 0), so "
            "the purchase rate and drop-out are not identified; use a longer "
            "calibration period or more customers."
        )


def _bgnbd_log_alive_odds_inverse(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """ln(1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) = -ln P(alive)."""
    repeat = x > 0
    log_odds = np.where(
        repeat,
        math.log(a)
        - np.log(np.where(repeat, b + x - 1.0, 1.0))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
        -np.inf,
    )
    return np.logaddexp(0.0, log_odds)


def bgnbd_prob_alive(
    params: ParamsLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(customer still alive at T | x, t_x, T) under BG/NBD (FHL 2005 eq. 11).

    1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)), in log space.
    """
    r, alpha, a, b = _unpack_params(params, BGNBD_PARAM_NAMES)
    x_, t_x_, T_ = np.broadcast_arrays(*map(_as_float_array, (x, t_x, T)))
    return np.exp(-_bgnbd_log_alive_odds_inverse(r, alpha, a, b, x_, t_x_, T_))


def _bgnbd_alive_purchases(
    r: float,
    alpha: float,
    a: float,
    b: float,
    t: FloatArray,
    x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Numerator of FHL 2005 eq. 10 (expected purchases in (T, T+t] if alive).

        (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
                               * 2F1(r+x, b+x; a+b+x-1; z)],  z = t/(alpha+T+t).

    Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)
    turns the bracketed product into

        G = (1-z)^(a-1) * 2F1(a+b-1-r, a-1; a+b+x-1; z),

    whose hypergeometric parameters no longer grow with x, so neither the power
    nor 2F1 can overflow for large x or T. 1 - G = -expm1(ln G) (G > 0).
    """
    if abs(a - 1.0) < 1e-7:  # removable singularity at a == 1
        a = 1.0 + math.copysign(1e-7, a - 1.0)
    c = a + b + x - 1.0
    log1m_z = np.log(alpha + T) - np.log(alpha + T + t)  # ln(1 - z)
    z = -np.expm1(log1m_z)
    hyp = special.hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    # 2F1 is negative for some z when c = a+b+x-1 < 0 (x = 0 and a + b < 1).
    with np.errstate(divide="ignore"):
        log_abs_g = (a - 1.0) * log1m_z + np.log(np.abs(hyp))
    one_minus_g = np.where(hyp > 0, -np.expm1(log_abs_g), 1.0 + np.exp(log_abs_g))
    return c / (a - 1.0) * one_minus_g


def bgnbd_expected_purchases(
    params: ParamsLike, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units.

    FHL 2005 eq. 10 = (expected purchases if alive) * P(alive); see
    ``_bgnbd_alive_purchases`` for the overflow-free evaluation and
    ``bgnbd_prob_alive`` for the second factor (x == 0 gives P(alive) = 1).
    """
    r, alpha, a, b = _unpack_params(params, BGNBD_PARAM_NAMES)
    t_, x_, t_x_, T_ = np.broadcast_arrays(*map(_as_float_array, (t, x, t_x, T)))
    alive_purchases = _bgnbd_alive_purchases(r, alpha, a, b, t_, x_, T_)
    log_inv_alive = _bgnbd_log_alive_odds_inverse(r, alpha, a, b, x_, t_x_, T_)
    return alive_purchases * np.exp(-log_inv_alive)
