"""The optimiser shared by the fits: L-BFGS-B over log-parameters, its
convergence check and the FitResult it returns."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import optimize

from tag_warehouse.clv._common import (
    GRADIENT_TOLERANCE,
    LOG_BOUND,
    ClvFitError,
    FitResult,
    FloatArray,
)


def _lbfgsb(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    start: FloatArray,
    max_iterations: int,
) -> optimize.OptimizeResult:
    """One bounded L-BFGS-B run with the analytic gradient and tight tolerances."""
    return optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * start.size,
        options={"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-9},
    )


def _minimise(
    model: str,
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    log_initial: FloatArray,
    max_iterations: int,
) -> tuple[FloatArray, int, str]:
    """L-BFGS-B on log-parameters, then a restarted L-BFGS-B polish.

    Restarting from the first solution discards the stale quasi-Newton memory,
    which tightens the optimum cheaply (a few iterations).

    Returns (log-parameters, total iterations, message). Raises ClvFitError on
    failure: no convergence, non-finite objective, or a parameter on the
    LOG_BOUND box (the maximum is not interior: a degenerate fit).
    """
    start = np.clip(log_initial, -LOG_BOUND, LOG_BOUND)
    first = _lbfgsb(objective, start, max_iterations)
    polish_start = first.x if np.all(np.isfinite(first.x)) else start
    result = _lbfgsb(objective, polish_start, max_iterations)
    iterations = int(first.nit) + int(result.nit)
    message = str(result.message)
    value, grad = objective(result.x)
    finite = bool(np.all(np.isfinite(result.x)) and np.isfinite(value))
    projected = np.where(
        ((result.x <= -LOG_BOUND) & (grad > 0))
        | ((result.x >= LOG_BOUND) & (grad < 0)),
        0.0,
        grad,
    )
    small_gradient = finite and bool(np.max(np.abs(projected)) < GRADIENT_TOLERANCE)
    if not finite or not (result.success or small_gradient):
        raise ClvFitError(
            f"{model} fit failed: optimiser did not converge ({message}; "
            f"log-params={np.round(result.x, 4).tolist()}, objective={value}). "
            "Try: check that frequency/recency/T are in consistent units, remove "
            "outlier customers (e.g. resellers), use a longer calibration period, "
            "or pass different initial_params."
        )
    at_bound = np.abs(result.x) >= LOG_BOUND - 1e-6
    if at_bound.any():
        raise ClvFitError(
            f"{model} fit failed: {int(at_bound.sum())} parameter(s) at the bound "
            f"exp(+-{LOG_BOUND:g}) of the search box (log-params="
            f"{np.round(result.x, 4).tolist()}): the likelihood has no interior "
            "maximum on this data (too few customers or too little repeat buying)."
        )
    return result.x, iterations, message


def _fit_result(
    model: str,
    names: tuple[str, ...],
    log_params: FloatArray,
    total_ll: float,
    iterations: int,
    n_customers: int,
    message: str,
) -> FitResult:
    params = np.exp(log_params)
    if not (np.all(np.isfinite(params)) and math.isfinite(total_ll)):
        raise ClvFitError(
            f"{model} fit failed: non-finite parameters or log-likelihood "
            f"({dict(zip(names, params.tolist(), strict=True))}, LL={total_ll}); "
            "check the input summary for extreme values."
        )
    return FitResult(
        model=model,
        params={n: float(v) for n, v in zip(names, params, strict=True)},
        log_likelihood=total_ll,
        iterations=iterations,
        converged=True,
        n_customers=n_customers,
        message=message,
    )
