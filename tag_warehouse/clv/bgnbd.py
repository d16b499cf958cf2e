"""Predicted customer lifetime value: BG/NBD purchase counts x Gamma-Gamma spend,
and P(alive) from MBG/NBD.

References
----------
* Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
  alternative to the Pareto/NBD model", Marketing Science 24(2) -- BG/NBD.
* Fader, Hardie & Lee (2005), "RFM and CLV: Using iso-value curves for customer
  base analysis", JMR 42(4), and Fader & Hardie (2013), "The Gamma-Gamma model
  of monetary value" -- Gamma-Gamma spend model.
* Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison
  of models for customer base analysis", IJRM 24(3), and Wagner & Hoppe (2008),
  "Erratum on the MBG/NBD model", IJRM 25(3) -- MBG/NBD.

Conventions
-----------
* One "purchase" is one purchase *day* per customer (several orders on the same
  day are merged and their amounts summed).
* ``frequency`` x = number of repeat purchase days, ``recency`` t_x = time from
  the first to the last purchase day, ``T`` = time from the first purchase day to
  the end of the calibration period, all in ``unit`` ("week" or "day").
* The likelihoods are maximised over the log of the parameters, on the distinct
  rows of the summary weighted by their multiplicity (the log-likelihood is a
  weighted sum), which keeps fitting fast for millions of customers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

__all__ = [
    "BGNBD_PARAM_NAMES",
    "DEFAULT_WINSORISE_QUANTILES",
    "GAMMA_GAMMA_PARAM_NAMES",
    "LTV_MODELS",
    "MBGNBD_PARAM_NAMES",
    "SPEND_REMEDIES",
    "ClvFitError",
    "ClvInputError",
    "FitResult",
    "ModelFit",
    "bgnbd_expected_purchases",
    "bgnbd_log_likelihood",
    "bgnbd_prob_alive",
    "fit_and_predict",
    "fit_bgnbd",
    "fit_clv_models",
    "fit_gamma_gamma",
    "fit_gamma_gamma_robust",
    "gamma_gamma_conditional_mean",
    "gamma_gamma_log_likelihood",
    "fit_mbgnbd",
    "fit_mbgnbd_model",
    "horizon_in_units",
    "mbgnbd_expected_purchases",
    "mbgnbd_log_likelihood",
    "mbgnbd_prob_alive",
    "predict_ltv",
    "summarise_transactions",
]

Unit = Literal["week", "day"]
FloatArray = NDArray[np.float64]
ParamsLike = Sequence[float] | Mapping[str, float] | NDArray[np.float64]
DateLike = str | date | datetime | pd.Timestamp | np.datetime64

BGNBD_PARAM_NAMES: tuple[str, ...] = ("r", "alpha", "a", "b")
MBGNBD_PARAM_NAMES: tuple[str, ...] = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAM_NAMES: tuple[str, ...] = ("p", "q", "gamma")
DAYS_PER_UNIT: dict[str, float] = {"week": 7.0, "day": 1.0}
DAYS_PER_YEAR = 365.25
SUMMARY_COLUMNS: tuple[str, ...] = ("frequency", "recency", "T", "monetary_value")

# Optimisation is over log-parameters; the box keeps every parameter within
# [exp(-LOG_BOUND), exp(LOG_BOUND)] (about 1e-7 .. 1e7) so that line searches
# cannot overflow.
LOG_BOUND = 16.0
# Largest acceptable projected gradient (of the mean per-customer negative
# log-likelihood w.r.t. log-parameters) when L-BFGS-B stops on a line-search
# warning, which happens when it is already at the optimum to machine precision.
GRADIENT_TOLERANCE = 1e-4
# Rows per block when evaluating the monthly discounting grid.
DISCOUNT_CHUNK_ROWS = 50_000
# The models the predicted LTV needs: when any of them is not fitted, every
# prediction is null (ltv = unknown).
LTV_MODELS: tuple[str, ...] = ("bgnbd", "gamma_gamma")
# How the Gamma-Gamma fit treats heavy-tailed spend (fit_gamma_gamma_robust):
# "none": fit the mean spend as it is; "winsorise": when that fit fails, fit again
# with the mean spend per purchase day capped at a quantile.
SPEND_REMEDIES: tuple[str, ...] = ("none", "winsorise")
# Quantiles tried in turn, the mildest cap first (the var ltv_winsorise_quantiles).
DEFAULT_WINSORISE_QUANTILES: tuple[float, ...] = (0.99, 0.95, 0.9, 0.85, 0.8, 0.75)


class ClvFitError(RuntimeError):
    """A CLV model could not be fitted (degenerate data or optimiser failure)."""


class ClvInputError(ValueError):
    """The transaction data cannot be summarised (missing column, bad dates...)."""


FitStatus = Literal["fitted", "failed", "disabled"]
SpendRemedy = Literal["none", "winsorised", "not_applicable"]


@dataclass(frozen=True)
class FitResult:
    """Outcome of a maximum-likelihood fit.

    Attributes:
        model: "bgnbd", "mbgnbd" or "gamma_gamma".
        params: parameter name -> estimate, in the model's natural scale.
        log_likelihood: total log-likelihood at the estimate (sum over customers).
        iterations: optimiser iterations (all stages together).
        converged: whether the convergence check passed (optimiser success,
            or a stop at a point with a negligible projected gradient). Always
            True for returned fits: failures raise ClvFitError.
        n_customers: number of customers the model was fitted on.
        message: optimiser message (plus notes such as parameters at a bound).
    """

    model: str
    params: dict[str, float]
    log_likelihood: float
    iterations: int
    converged: bool
    n_customers: int
    message: str = field(default="")

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly representation."""
        return {
            "params": dict(self.params),
            "log_likelihood": self.log_likelihood,
            "iterations": self.iterations,
            "converged": self.converged,
            "n_customers": self.n_customers,
            "message": self.message,
        }


@dataclass(frozen=True)
class ModelFit:
    """Outcome of one model's fit as the warehouse records it: never an exception.

    Attributes:
        model: "bgnbd", "gamma_gamma" or "mbgnbd".
        status: "fitted"; "failed" (``reason`` says why: no convergence, a
            parameter at the LOG_BOUND box, q <= 1, non-finite log-likelihood or
            predictions, too little data); "disabled" (not asked for).
        reason: why the model is not fitted; "" when fitted.
        fit: the estimate when fitted, else None.
        n_customers: customers the fit was attempted on.
        spend_remedy: for the spend model, "none" (fitted on the mean spend as it
            is) or "winsorised" (on mean spend capped at ``spend_cap``); else
            "not_applicable".
        spend_cap: the cap in currency when winsorised, else None.
        spend_cap_quantile: the quantile the cap was taken at, else None.
    """

    model: str
    status: FitStatus
    reason: str = ""
    fit: FitResult | None = None
    n_customers: int = 0
    spend_remedy: SpendRemedy = "not_applicable"
    spend_cap: float | None = None
    spend_cap_quantile: float | None = None

    @property
    def fitted(self) -> bool:
        return self.status == "fitted"

    def failed_with(self, reason: str) -> ModelFit:
        """The same attempt, failed for ``reason`` (e.g. non-finite predictions)."""
        return replace(self, status="failed", reason=reason, fit=None)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly representation (the fit's, plus status and remedy)."""
        out: dict[str, object] = {
            "status": self.status,
            "reason": self.reason,
            "n_customers": self.n_customers,
            "spend_remedy": self.spend_remedy,
            "spend_cap": self.spend_cap,
            "spend_cap_quantile": self.spend_cap_quantile,
        }
        if self.fit is not None:
            out.update(self.fit.as_dict())
        return out


# --------------------------------------------------------------------------- #
# Small helpers
# --------------------------------------------------------------------------- #


def _as_float_array(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _unpack_params(params: ParamsLike, names: tuple[str, ...]) -> tuple[float, ...]:
    """Accept a sequence/array in ``names`` order or a mapping name -> value."""
    if isinstance(params, Mapping):
        values = [float(params[name]) for name in names]
    else:
        values = [float(v) for v in np.asarray(params, dtype=np.float64).ravel()]
    if len(values) != len(names):
        raise ValueError(f"expected {len(names)} parameters {names}, got {values}")
    return tuple(values)


def _check_unit(unit: str) -> float:
    try:
        return DAYS_PER_UNIT[unit]
    except KeyError:
        raise ValueError(f"unit must be 'week' or 'day', got {unit!r}") from None


def horizon_in_units(horizon_years: float, unit: str) -> float:
    """Convert years to model time units (weeks = years*365.25/7, days = *365.25)."""
    return horizon_years * DAYS_PER_YEAR / _check_unit(unit)


def _collapse_rows(
    *columns: FloatArray,
) -> tuple[list[FloatArray], FloatArray, NDArray[np.int64]]:
    """Distinct rows of equal-length columns.

    Returns the distinct rows (one array per column), their multiplicities as
    float weights, and for every input row the index of its distinct row.
    """
    frame = pd.DataFrame({str(i): col for i, col in enumerate(columns)})
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if codes.size else 0
    representative = np.empty(n_groups, dtype=np.int64)
    # Rows of one group are identical, so whichever write wins is fine.
    representative[codes] = np.arange(codes.size)
    weights = np.bincount(codes, minlength=n_groups).astype(np.float64)
    return [col[representative] for col in columns], weights, codes


def _parse_dates(values: pd.Series, what: str) -> pd.Series:
    """pd.to_datetime, trying ISO 8601 first, then inferred and mixed formats."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    error = ""
    for fmt in ("ISO8601", None, "mixed"):
        try:
            return pd.to_datetime(values, format=fmt)
        except (ValueError, TypeError, OverflowError) as exc:
            error = error or str(exc).strip().splitlines()[0]
    raise ClvInputError(f"cannot parse {what} as dates: {error}")


def _to_day_numbers(values: pd.Series, what: str) -> NDArray[np.int64]:
    """Parse dates and return whole days since 1970-01-01 (time of day dropped)."""
    parsed = _parse_dates(values, what)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    if parsed.isna().any():
        bad = values[parsed.isna().to_numpy()].iloc[0]
        raise ClvInputError(f"{what} has a missing or unparseable date: {bad!r}")
    return parsed.to_numpy().astype("datetime64[D]").astype(np.int64)


def _to_day_number(value: DateLike, what: str) -> int:
    return int(_to_day_numbers(pd.Series([value]), what)[0])


# --------------------------------------------------------------------------- #
# RFM summary
# --------------------------------------------------------------------------- #


def summarise_transactions(
    df: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str,
    calibration_end: DateLike | None,
    unit: Unit = "week",
) -> pd.DataFrame:
    """Per-customer frequency / recency / T / monetary value (vectorised).

    Transactions after ``calibration_end`` are ignored. Amounts are first summed
    per customer and calendar day; each purchase day is one purchase.

    Args:
        df: one row per transaction.
        customer_col: customer identifier column.
        date_col: transaction date or timestamp column (time of day is ignored).
        amount_col: transaction amount column (missing amounts count as 0).
        calibration_end: last day (inclusive) of the calibration period; None
            means the latest transaction date.
        unit: "week" (days / 7) or "day".

    Returns:
        DataFrame indexed by customer id (index named ``customer_col``) with
        columns ``frequency`` (distinct purchase days - 1), ``recency`` (first to
        last purchase day), ``T`` (first purchase day to ``calibration_end``) and
        ``monetary_value`` (mean day-amount over the repeat purchase days, 0 when
        frequency is 0). Customers without any purchase in the calibration period
        are absent. ``attrs`` holds "calibration_end" (ISO date), "unit" and
        "n_transactions" (rows on or before the calibration end).

    Raises:
        ClvInputError: missing column or unparseable dates.
    """
    days_per_unit = _check_unit(unit)
    missing = [c for c in (customer_col, date_col, amount_col) if c not in df.columns]
    if missing:
        raise ClvInputError(
            f"column(s) {', '.join(map(repr, missing))} not found; "
            f"available columns: {', '.join(map(str, df.columns))}"
        )
    day = _to_day_numbers(df[date_col], f"column {date_col!r}")
    if calibration_end is not None:
        end_day = _to_day_number(calibration_end, "calibration_end")
    elif day.size:
        end_day = int(day.max())
    else:
        raise ClvInputError("no transactions: cannot default the calibration end")
    attrs = {
        "calibration_end": str(np.datetime64(end_day, "D")),
        "unit": unit,
        "n_transactions": 0,
    }
    keep = day <= end_day
    day = day[keep]
    amount = pd.to_numeric(df[amount_col], errors="coerce").to_numpy(np.float64)[keep]
    amount = np.nan_to_num(amount, nan=0.0)
    customer_codes, customers = pd.factorize(df[customer_col])
    customer_codes = customer_codes[keep]
    valid = customer_codes >= 0  # missing customer ids are dropped
    if not valid.all():
        customer_codes, day, amount = customer_codes[valid], day[valid], amount[valid]
    attrs["n_transactions"] = int(customer_codes.size)
    if customer_codes.size == 0:
        summary = _empty_summary(customer_col)
        summary.attrs.update(attrs)
        return summary

    # One int64 key per (customer, day); sorting it sorts by customer then day.
    first_day = int(day.min())
    span = end_day - first_day + 1
    key = customer_codes.astype(np.int64) * span + (day - first_day)
    order = np.argsort(key)
    key, amount = key[order], amount[order]
    day_starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    key_values = key[day_starts]
    day_amount = np.add.reduceat(amount, day_starts)
    cust = key_values // span
    cust_day = key_values % span + first_day

    starts = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]])
    ends = np.r_[starts[1:], cust.size] - 1
    n_days = ends - starts + 1
    repeat_amount = day_amount.copy()
    repeat_amount[starts] = 0.0
    repeat_total = np.add.reduceat(repeat_amount, starts)
    frequency = (n_days - 1).astype(np.float64)
    monetary = np.divide(
        repeat_total, frequency, out=np.zeros_like(repeat_total), where=frequency > 0
    )
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (cust_day[ends] - cust_day[starts]) / days_per_unit,
            "T": (end_day - cust_day[starts]) / days_per_unit,
            "monetary_value": monetary,
        },
        index=pd.Index(customers[cust[starts]], name=customer_col),
    )
    summary.attrs.update(attrs)
    return summary


def _empty_summary(customer_col: str) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=np.float64) for c in SUMMARY_COLUMNS},
        index=pd.Index([], name=customer_col),
    )


# --------------------------------------------------------------------------- #
# BG/NBD
# --------------------------------------------------------------------------- #


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
class _Factor:
    """Distinct values of a column and, per row, the index of its value.

    Lets terms that depend on x alone (gamma/beta functions, digammas) be
    evaluated once per distinct x instead of once per row.
    """

    values: FloatArray
    index: NDArray[np.intp]

    @classmethod
    def of(cls, column: FloatArray) -> _Factor:
        values, index = np.unique(column, return_inverse=True)
        return cls(values, index)


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
) -> FitResult:
    """Maximum-likelihood BG/NBD fit.

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
    )


def _fit_purchase_model(
    model: str,
    label: str,
    negll_and_grad: Callable[[FloatArray, _BgnbdData], tuple[float, FloatArray]],
    log_likelihood: Callable[..., FloatArray],
    data_columns: tuple[ArrayLike, ArrayLike, ArrayLike],
    initial_params: ParamsLike | None,
    max_iterations: int,
) -> FitResult:
    """The maximum-likelihood fit BG/NBD and MBG/NBD share (same data, same four
    parameters r, alpha, a, b): collapse identical (x, t_x, T) rows with weights,
    minimise the weighted negative log-likelihood over log-parameters."""
    x_, t_x_, T_ = np.broadcast_arrays(*map(_as_float_array, data_columns))
    x_, t_x_, T_ = x_.ravel(), t_x_.ravel(), T_.ravel()
    _validate_bgnbd_inputs(x_, t_x_, T_, label)
    (ux, ut_x, uT), weights, _ = _collapse_rows(x_, t_x_, T_)
    data = _BgnbdData.from_rows(ux, ut_x, uT, weights)
    if initial_params is None:
        rate = max(x_.sum() / max(T_.sum(), 1e-12), 1e-6)
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
        model, BGNBD_PARAM_NAMES, log_params, total_ll, nit, x_.size, message
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


# --------------------------------------------------------------------------- #
# MBG/NBD
# --------------------------------------------------------------------------- #
#
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
) -> FitResult:
    """Maximum-likelihood MBG/NBD fit (same machinery as ``fit_bgnbd``).

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


# --------------------------------------------------------------------------- #
# Gamma-Gamma
# --------------------------------------------------------------------------- #


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
) -> FitResult:
    """Maximum-likelihood Gamma-Gamma fit on repeat buyers (x > 0 and m > 0).

    Other customers are ignored (``n_customers`` counts the ones used).

    Raises:
        ClvFitError: fewer than 2 repeat buyers with positive spend, optimiser
            failure, non-finite parameters, or q <= 1 (the conditional mean spend
            p*gamma/(q-1) would not exist).
    """
    x_, m_ = np.broadcast_arrays(_as_float_array(x), _as_float_array(m))
    x_, m_ = x_.ravel(), m_.ravel()
    usable = (x_ > 0) & (m_ > 0) & np.isfinite(m_)
    if usable.sum() < 2:
        raise ClvFitError(
            "Gamma-Gamma fit failed: need at least 2 repeat buyers (frequency > 0) "
            f"with positive monetary value, found {int(usable.sum())}; use a longer "
            "calibration period or check the amount column."
        )
    x_, m_ = x_[usable], m_[usable]
    (ux, um), weights, _ = _collapse_rows(x_, m_)
    data = _GammaGammaData.from_rows(ux, um, weights)
    if initial_params is None:
        # p = 1, q = 2 and gamma chosen so the population mean p*gamma/(q-1)
        # matches the average monetary value.
        initial = np.array([1.0, 2.0, float(m_.mean())])
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
    total_ll = float(weights @ gamma_gamma_log_likelihood(params, ux, um))
    return _fit_result(
        "gamma_gamma",
        GAMMA_GAMMA_PARAM_NAMES,
        log_params,
        total_ll,
        nit,
        x_.size,
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


# --------------------------------------------------------------------------- #
# Optimisation
# --------------------------------------------------------------------------- #


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


# --------------------------------------------------------------------------- #
# Prediction
# --------------------------------------------------------------------------- #


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
    horizon = horizon_in_units(horizon_years, unit)
    params = _unpack_params(bgnbd.params, BGNBD_PARAM_NAMES)
    x = summary_df["frequency"].to_numpy(np.float64)
    t_x = summary_df["recency"].to_numpy(np.float64)
    T = summary_df["T"].to_numpy(np.float64)
    m = summary_df["monetary_value"].to_numpy(np.float64)

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


# --------------------------------------------------------------------------- #
# Fits that never raise: status, reason and the spend remedy
# --------------------------------------------------------------------------- #


def _format_params(params: Mapping[str, float]) -> str:
    return ", ".join(f"{name}={value:.4g}" for name, value in params.items())


def _prediction_problem(values: FloatArray, what: str) -> str:
    """'' when every value is finite and >= 0, else a sentence saying how many not."""
    bad = ~np.isfinite(values) | (values < 0)
    if not bad.any():
        return ""
    return (
        f"{int(bad.sum())} of {values.size} customers get a non-finite or negative "
        f"{what} (e.g. {values[bad][0]:.4g})"
    )


def fit_gamma_gamma_robust(
    x: ArrayLike,
    m: ArrayLike,
    remedy: str = "winsorise",
    quantiles: Sequence[float] = DEFAULT_WINSORISE_QUANTILES,
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

    Returns:
        ModelFit "fitted" (spend_remedy "none" or "winsorised" with the cap and
        quantile) or "failed" with the reasons of every attempt.
    """
    if remedy not in SPEND_REMEDIES:
        raise ValueError(f"remedy must be one of {SPEND_REMEDIES}, got {remedy!r}")
    x_, m_ = np.broadcast_arrays(_as_float_array(x), _as_float_array(m))
    x_, m_ = x_.ravel(), m_.ravel()
    usable = (x_ > 0) & (m_ > 0) & np.isfinite(m_)
    n_used = int(usable.sum())
    try:
        fit = fit_gamma_gamma(x_, m_)
    except ClvFitError as error:
        first = str(error)
    else:
        return ModelFit("gamma_gamma", "fitted", "", fit, n_used, "none")
    if remedy == "none" or n_used < 2:
        return ModelFit("gamma_gamma", "failed", first, None, n_used, "none")
    spend = m_[usable]
    last, cap, quantile = first, None, None
    for quantile in quantiles:
        cap = float(np.quantile(spend, quantile))
        try:
            fit = fit_gamma_gamma(x_, np.minimum(m_, cap))
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


def _fit_bgnbd_outcome(summary: pd.DataFrame) -> ModelFit:
    n = len(summary)
    try:
        fit = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    except ClvFitError as error:
        return ModelFit("bgnbd", "failed", str(error), None, n)
    return ModelFit("bgnbd", "fitted", "", fit, n)


def _bgnbd_prediction_problem(fit: FitResult, summary: pd.DataFrame, t: float) -> str:
    """Expected purchases and P(alive) of every distinct (x, t_x, T): finite, >= 0."""
    (x, t_x, T), _, _ = _collapse_rows(
        *(summary[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))
    )
    with np.errstate(all="ignore"):
        expected = bgnbd_expected_purchases(fit.params, t, x, t_x, T)
        alive = bgnbd_prob_alive(fit.params, x, t_x, T)
    return _prediction_problem(expected, "expected purchases") or _prediction_problem(
        alive, "probability of being alive"
    )


def fit_clv_models(
    summary: pd.DataFrame,
    horizon_years: float,
    unit: str,
    annual_discount_rate: float = 0.0,
    spend_remedy: str = "winsorise",
    winsorise_quantiles: Sequence[float] = DEFAULT_WINSORISE_QUANTILES,
) -> dict[str, ModelFit]:
    """Fit BG/NBD and Gamma-Gamma on a summary; a failure is a status, never raised.

    A model fails when its optimiser did not converge, a parameter sits on the
    LOG_BOUND box, the Gamma-Gamma q <= 1 (after the spend remedy), the
    log-likelihood is not finite, or its predictions on this summary are not
    finite and >= 0 (expected purchases, P(alive), spend per purchase, LTV).

    Args:
        summary: ``summarise_transactions`` output (columns frequency, recency,
            T, monetary_value), one row per customer.
        horizon_years, unit, annual_discount_rate: as for ``predict_ltv``; the
            predictions checked are the ones the warehouse will write.
        spend_remedy, winsorise_quantiles: see ``fit_gamma_gamma_robust``.

    Returns:
        {"bgnbd": ModelFit, "gamma_gamma": ModelFit}.
    """
    if summary.empty:
        reason = (
            "no customer has a purchase up to the calibration end, so there is "
            "nothing to fit."
        )
        return {name: ModelFit(name, "failed", reason) for name in LTV_MODELS}
    bgnbd = _fit_bgnbd_outcome(summary)
    repeat = summary[summary["frequency"] > 0]
    gamma_gamma = fit_gamma_gamma_robust(
        repeat["frequency"], repeat["monetary_value"], spend_remedy, winsorise_quantiles
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
    if gamma_gamma.fit is not None:
        x = summary["frequency"].to_numpy(np.float64)
        m = summary["monetary_value"].to_numpy(np.float64)
        with np.errstate(all="ignore"):
            spend = gamma_gamma_conditional_mean(
                gamma_gamma.fit.params, np.where(m > 0, x, 0.0), m
            )
        problem = _prediction_problem(spend, "expected spend per purchase")
        if problem:
            gamma_gamma = gamma_gamma.failed_with(
                "Gamma-Gamma fit failed: the estimate "
                f"({_format_params(gamma_gamma.fit.params)}) is degenerate: {problem}."
            )
    if bgnbd.fit is not None and gamma_gamma.fit is not None:
        with np.errstate(all="ignore"):
            ltv = predict_ltv(
                summary,
                bgnbd.fit,
                gamma_gamma.fit,
                horizon_years,
                unit,
                annual_discount_rate,
            )["predicted_ltv"].to_numpy(np.float64)
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
        summary: ``summarise_transactions`` output (frequency, recency, T).
    """
    n = len(summary)
    if summary.empty:
        return ModelFit(
            "mbgnbd",
            "failed",
            "MBG/NBD fit failed: no customer has a purchase up to the calibration "
            "end, so there is nothing to fit.",
        )
    columns = [summary[c].to_numpy(np.float64) for c in ("frequency", "recency", "T")]
    try:
        fit = fit_mbgnbd(*columns)
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
