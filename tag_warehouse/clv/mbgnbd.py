"""MBG/NBD purchase model (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe
2008): likelihood, fit, P(alive) and expected purchases."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from tag_warehouse.clv._common import (
    MBGNBD_PARAM_NAMES,
    FitResult,
    FloatArray,
    ParamsLike,
    _as_float_array,
    _unpack_params,
)
from tag_warehouse.clv.bgnbd import (
    _bgnbd_alive_purchases,
    _BgnbdData,
    _fit_purchase_model,
)

# Batislam, Denizel & Filiztekin (2007), with the erratum of Wagner & Hoppe
# (2008). The BG/NBD story, except that a customer may also drop out right after
# the *first* purchase: after every purchase (the first included) the customer
# becomes inactive with probability p. The individual likelihood is
#
#     L(lambda, p | x, t_x, T) = (1-p)^(x+1) lambda^x e^(-lambda T)
#                                + p (1-p)^x lambda^x e^(-lambda t_x),
#
# and integrating lambda ~ Gamma(r, alpha), p ~ Beta(a, b) out gives
#
#     L = A1 * B(a, b+x+1)/B(a, b) * (A3 + a/(b+x) (alpha+t_x)^-(r+x))
#
# with A1 and A3 as for BG/NBD. The drop-out term exists for x == 0 too, which
# is why a one-time buyer's P(alive) falls below 1 as T grows.


def _mbgnbd_log_odds(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """ln(a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)): ln(P(dead) / P(alive))."""
    return (
        math.log(a)
        - np.log(b + x)
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )


def mbgnbd_log_likelihood(
    params: ParamsLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer MBG/NBD log-likelihood ln L(r, alpha, a, b | x, t_x, T).

    ln L = lnG(r+x) - lnG(r) + r ln(alpha) + ln B(a, b+x+1) - ln B(a, b)
           - (r+x) ln(alpha+T) + ln(1 + odds),
    odds = a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x), all in log space
    (ln(1 + odds) = logaddexp(0, ln odds)), so large x or T do not overflow.

    Args:
        params: (r, alpha, a, b) or a mapping with those names.
        x: frequency (repeat purchases). t_x: recency. T: customer age.
    """
    r, alpha, a, b = _unpack_params(params, MBGNBD_PARAM_NAMES)
    x_, t_x_, T_ = np.broadcast_arrays(*map(_as_float_array, (x, t_x, T)))
    return (
        special.gammaln(r + x_)
        - special.gammaln(r)
        + r * math.log(alpha)
        + special.betaln(a, b + x_ + 1.0)
        - special.betaln(a, b)
        - (r + x_) * np.log(alpha + T_)
        + np.logaddexp(0.0, _mbgnbd_log_odds(r, alpha, a, b, x_, t_x_, T_))
    )


def _mbgnbd_negll_and_grad(
    log_params: FloatArray, data: _BgnbdData
) -> tuple[float, FloatArray]:
    """Mean weighted negative MBG/NBD log-likelihood and its gradient.

    The gradient is w.r.t. the log-parameters. With d = ln odds (finite for
    every x, unlike BG/NBD), ln(A3 + A4) = ln A3 + softplus(d) and the
    posterior weights of the two terms are w4 = expit(d) (dropped out right
    after the last purchase) and w3 = 1 - w4 (alive at T).
    """
    r, alpha, a, b = np.exp(log_params)
    xv, ix = data.x_factor.values, data.x_factor.index
    # Per distinct x.
    lg_x = (
        special.gammaln(r + xv)
        - special.gammaln(r)
        + r * math.log(alpha)
        + special.betaln(a, b + xv + 1.0)
        - special.betaln(a, b)
    )
    psi_r_x = special.digamma(r + xv)
    psi_ab_x1 = special.digamma(a + b + xv + 1.0)
    psi_b_x1 = special.digamma(b + xv + 1.0)
    log_b_x = np.log(b + xv)
    # Per row.
    alpha_T = alpha + data.T
    alpha_t_x = alpha + data.t_x
    log_T, log_t_x = np.log(alpha_T), np.log(alpha_t_x)
    w = data.weights
    r_x = r + data.x
    d = math.log(a) - log_b_x[ix] - r_x * (log_t_x - log_T)
    w4 = special.expit(d)
    w3 = 1.0 - w4
    x_w = data.x_weights
    total = x_w.sum()
    log_likelihood = x_w @ lg_x + w @ (-r_x * log_T - special.log_expit(-d))
    d_r = (
        x_w @ psi_r_x
        + total * (math.log(alpha) - special.digamma(r))
        - w @ (w3 * log_T + w4 * log_t_x)
    )
    d_alpha = total * r / alpha - w @ (r_x * (w3 / alpha_T + w4 / alpha_t_x))
    psi_ab = special.digamma(a + b)
    d_a = total * psi_ab - x_w @ psi_ab_x1 + (w @ w4) / a
    d_b = (
        x_w @ (psi_b_x1 - psi_ab_x1)
        + total * (psi_ab - special.digamma(b))
        - w @ (w4 / (b + data.x))
    )
    grad = np.array([d_r, d_alpha, d_a, d_b]) * np.array([r, alpha, a, b])
    return -float(log_likelihood) / total, -grad / total


def fit_mbgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    initial_params: ParamsLike | None = None,
    max_iterations: int = 2000,
    weights: ArrayLike | None = None,
) -> FitResult:
    """Maximum-likelihood MBG/NBD fit (same machinery as ``fit_bgnbd``).

    ``weights`` (optional): counts of customers per row, as for ``fit_bgnbd``.

    Identical (x, t_x, T) rows are collapsed with weights; L-BFGS-B with the
    analytic gradient, then a restarted polish, on log r, log alpha, log a,
    log b inside the LOG_BOUND box; convergence is checked by ``_minimise``.

    Raises:
        ClvFitError: no repeat purchases at all (the purchase rate is then not
            identified), invalid inputs, no convergence, a parameter at the
            LOG_BOUND box, or non-finite parameters / log-likelihood.
    """
    return _fit_purchase_model(
        "mbgnbd",
        "MBG/NBD",
        _mbgnbd_negll_and_grad,
        mbgnbd_log_likelihood,
        (x, t_x, T),
        initial_params,
        max_iterations,
        weights,
    )


def mbgnbd_prob_alive(
    params: ParamsLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(customer still alive at T | x, t_x, T) under MBG/NBD (spec 3.2).

    1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)), computed as
    exp(-logaddexp(0, ln odds)). Below 1 for every customer, one-time buyers
    (x == 0, t_x == 0) included: theirs falls as T grows.
    """
    r, alpha, a, b = _unpack_params(params, MBGNBD_PARAM_NAMES)
    x_, t_x_, T_ = np.broadcast_arrays(*map(_as_float_array, (x, t_x, T)))
    log_odds = _mbgnbd_log_odds(r, alpha, a, b, x_, t_x_, T_)
    return np.exp(-np.logaddexp(0.0, log_odds))


def mbgnbd_expected_purchases(
    params: ParamsLike, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[Y(t) | x, t_x, T] under MBG/NBD (Wagner & Hoppe 2008 erratum).

        (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
                          2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))] * P(alive).

    The first factor is BG/NBD's expected purchases if alive with b replaced
    by b+1 (the posterior of p is Beta(a, b+x+1) instead of Beta(a, b+x)), so
    the overflow-free ``_bgnbd_alive_purchases`` evaluates it.
    """
    r, alpha, a, b = _unpack_params(params, MBGNBD_PARAM_NAMES)
    t_, x_, t_x_, T_ = np.broadcast_arrays(*map(_as_float_array, (t, x, t_x, T)))
    alive_purchases = _bgnbd_alive_purchases(r, alpha, a, b + 1.0, t_, x_, T_)
    return alive_purchases * mbgnbd_prob_alive((r, alpha, a, b), x_, t_x_, T_)
