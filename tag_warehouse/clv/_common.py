"""Shared pieces of the CLV models: types, constants, errors, the fit records
(FitResult, ModelFit) and the unit and date helpers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

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
# The column of a grouped summary (distinct rows, grouped in the engine) that
# holds the number of customers each row stands for: the fits' weights.
WEIGHT_COLUMN = "customers"

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
    *columns: FloatArray, weights: FloatArray | None = None
) -> tuple[list[FloatArray], FloatArray, NDArray[np.int64]]:
    """Distinct rows of equal-length columns, in sorted order.

    Returns the distinct rows (one array per column), their total weights (the
    multiplicities when ``weights`` is None, else the sum of the rows' weights:
    counts of rows grouped beforehand, e.g. in the engine) and for every input
    row the index of its distinct row. Sorting makes the result independent of
    the input's row order, so a fit on per-customer rows and one on the same
    rows grouped with counts see the very same arrays (the same optimum to the
    last bit).
    """
    frame = pd.DataFrame({str(i): col for i, col in enumerate(columns)})
    codes = frame.groupby(list(frame.columns), sort=True).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if codes.size else 0
    representative = np.empty(n_groups, dtype=np.int64)
    # Rows of one group are identical, so whichever write wins is fine.
    representative[codes] = np.arange(codes.size)
    totals = np.bincount(codes, weights, minlength=n_groups).astype(np.float64)
    return [col[representative] for col in columns], totals, codes


def _weights(weights: ArrayLike | None, size: int, model: str) -> FloatArray:
    """Row weights (counts of identical rows) as floats: ones when None; a
    ClvFitError naming ``model`` unless they are finite and > 0."""
    if weights is None:
        return np.ones(size)
    values = np.asarray(weights, dtype=np.float64).ravel()
    if values.size != size:
        raise ClvFitError(
            f"{model} fit failed: {values.size} weights for {size} summary rows."
        )
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise ClvFitError(f"{model} fit failed: weights must be finite and > 0.")
    return values


def weighted_quantile(values: FloatArray, weights: FloatArray, q: float) -> float:
    """``np.quantile(np.repeat(values, weights), q)`` (method "linear") without
    repeating: the two order statistics around the virtual index (n - 1) q of the
    expanded data, interpolated as numpy does, so the result is the same float.
    ``weights`` are whole counts."""
    order = np.argsort(values, kind="stable")
    sorted_values, ends = values[order], np.cumsum(weights[order])
    n = float(ends[-1])
    virtual = (n - 1.0) * q  # numpy's virtual index for the linear method
    lower = float(np.floor(virtual))
    gamma = virtual - lower
    upper = lower + 1.0
    if virtual >= n - 1.0:  # numpy takes the largest value for both
        lower = upper = n - 1.0
    below = sorted_values[np.searchsorted(ends, lower, side="right")]
    above = sorted_values[np.searchsorted(ends, upper, side="right")]
    # numpy's _lerp: a + (b - a) g, from the other end when g >= 0.5.
    diff = above - below
    if gamma >= 0.5:
        return float(above - diff * (1.0 - gamma))
    return float(below + diff * gamma)


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
