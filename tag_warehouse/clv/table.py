"""The CLV fit table (int_clv_models_fitted and int_clv_calibration_models_fitted,
and the table the client-side fit writes on engines without dbt Python models):
one row per parameter of a fitted model, one row per model otherwise, and the
column ``fit`` saying which fit it is (SCORING_FIT: on the orders up to
as_of_date, what scores the customers; BACKTEST_FIT: on the calibration orders of
the backtest, marts.clv_model_quality). Built from the grouped summaries
(int_clv_purchases_grouped, int_clv_spend_grouped and their calibration twins);
the dbt Python models and ``scripts/clv.py fit`` share it, so every engine's
table has the same shape and values."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tag_warehouse.clv._common import LTV_MODELS, ModelFit
from tag_warehouse.clv.fitting import fit_clv_models, fit_mbgnbd_model

# Column -> pandas dtype, in the table's order.
FIT_TABLE_COLUMNS: dict[str, str] = {
    "model": "string",
    "status": "string",
    "reason": "string",
    "parameter": "string",
    "value": "float64",
    "log_likelihood": "float64",
    "iterations": "Int64",
    "converged": "bool",
    "customers_used": "int64",
    "spend_remedy": "string",
    "spend_cap": "float64",
    "spend_cap_quantile": "float64",
    "as_of_date": "datetime64[s]",
    "message": "string",
    "fit": "string",
}
# The values of column fit.
SCORING_FIT = "scoring"
BACKTEST_FIT = "backtest"


@dataclass(frozen=True)
class FitSettings:
    """The dbt vars a fit reads (dbt_project.yml, Value: predicted LTV)."""

    as_of_date: str  # YYYY-MM-DD
    ltv_enabled: bool
    churn_risk_enabled: bool
    horizon_years: float
    unit: str
    annual_discount_rate: float
    spend_remedy: str
    winsorise_quantiles: Sequence[float]

    @property
    def wanted(self) -> bool:
        """Whether any model is on (else nothing needs reading)."""
        return self.ltv_enabled or self.churn_risk_enabled


def build_date(value: Any) -> str:
    """The build's as_of_date as an ISO date. Both callers pass one rendered at
    run time (int_clv_fit_as_of_date in the DuckDB Python models, the rendered
    vars of the client-side fit), after the validate_vars hook checked the var:
    anything else is refused, never replaced by a guess such as today."""
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError(
            f"the CLV fit got as_of_date {value!r}, not an ISO date (YYYY-MM-DD):"
            " pass --vars '{as_of_date: 2026-06-30}', or leave it unset for today"
        ) from None


def as_of_date_of(frame: pd.DataFrame) -> str:
    """The build's as_of_date in a dbt Python model, from the one row of
    int_clv_fit_as_of_date: a Python model cannot call var(), and its meta holds
    what the parse rendered, which would tie the parse to the date."""
    return pd.Timestamp(frame["as_of_date"].iloc[0]).date().isoformat()


def enabled(value: Any) -> bool:
    """A boolean var passed through a Python model's meta (rendered as text)."""
    return str(value).lower() == "true"


def quantiles(value: Any) -> list[float]:
    """The var ltv_winsorise_quantiles, whether dbt rendered it as text or a list."""
    if isinstance(value, str):
        value = ast.literal_eval(value)
    return [float(q) for q in value]


def settings_from_meta(meta: Mapping[str, Any]) -> FitSettings:
    """The fit's settings from the vars a dbt Python model got in its meta (keys
    as the vars: as_of_date, ltv_enabled, churn_risk_enabled, ltv_horizon_years,
    ltv_time_unit, ltv_annual_discount_rate, ltv_spend_remedy,
    ltv_winsorise_quantiles)."""
    return FitSettings(
        as_of_date=build_date(meta["as_of_date"]),
        ltv_enabled=enabled(meta["ltv_enabled"]),
        churn_risk_enabled=enabled(meta["churn_risk_enabled"]),
        horizon_years=float(meta["ltv_horizon_years"]),
        unit=str(meta["ltv_time_unit"]),
        annual_discount_rate=float(meta["ltv_annual_discount_rate"]),
        spend_remedy=str(meta["ltv_spend_remedy"]),
        winsorise_quantiles=quantiles(meta["ltv_winsorise_quantiles"]),
    )


def fit_rows(
    outcome: ModelFit, as_of_date: str, fit: str = SCORING_FIT
) -> list[dict[str, object]]:
    """One row per parameter of a fitted model, one row (no parameter) otherwise."""
    common = {
        "fit": fit,
        "model": outcome.model,
        "status": outcome.status,
        "reason": outcome.reason or None,
        "customers_used": outcome.n_customers,
        "spend_remedy": outcome.spend_remedy,
        "spend_cap": outcome.spend_cap,
        "spend_cap_quantile": outcome.spend_cap_quantile,
        "as_of_date": pd.Timestamp(as_of_date),
    }
    fit = outcome.fit
    if fit is None:
        return [
            {
                **common,
                "parameter": None,
                "value": None,
                "log_likelihood": None,
                "iterations": None,
                "converged": False,
                "message": None,
            }
        ]
    return [
        {
            **common,
            "parameter": name,
            "value": value,
            "log_likelihood": fit.log_likelihood,
            "iterations": fit.iterations,
            "converged": fit.converged,
            "message": fit.message,
        }
        for name, value in fit.params.items()
    ]


def model_fits(
    settings: FitSettings,
    purchases: pd.DataFrame | None,
    spend: pd.DataFrame | None,
) -> list[ModelFit]:
    """BG/NBD, Gamma-Gamma and MBG/NBD on the grouped summaries (``purchases``:
    frequency, recency, T, customers; ``spend``: frequency, monetary_value,
    customers), or why a model is not fitted. The summaries may be None when no
    model is on."""
    if not settings.ltv_enabled:
        outcomes = [
            ModelFit(name, "disabled", "var ltv_enabled is false")
            for name in LTV_MODELS
        ]
    else:
        assert purchases is not None and spend is not None  # read when on
        fits = fit_clv_models(
            purchases,
            horizon_years=settings.horizon_years,
            unit=settings.unit,
            annual_discount_rate=settings.annual_discount_rate,
            spend_remedy=settings.spend_remedy,
            winsorise_quantiles=settings.winsorise_quantiles,
            spend_summary=spend,
        )
        outcomes = [fits[name] for name in LTV_MODELS]
    if not settings.churn_risk_enabled:
        mbgnbd = ModelFit("mbgnbd", "disabled", "var churn_risk_enabled is false")
    else:
        assert purchases is not None  # read when on
        mbgnbd = fit_mbgnbd_model(purchases)
    return [*outcomes, mbgnbd]


def fit_table(
    settings: FitSettings,
    purchases: pd.DataFrame | None,
    spend: pd.DataFrame | None,
    fit: str = SCORING_FIT,
) -> pd.DataFrame:
    """The fit table of ``model_fits``, typed as FIT_TABLE_COLUMNS; ``fit``:
    SCORING_FIT or BACKTEST_FIT, the value of column fit."""
    rows = [
        row
        for outcome in model_fits(settings, purchases, spend)
        for row in fit_rows(outcome, settings.as_of_date, fit)
    ]
    return pd.DataFrame(rows, columns=list(FIT_TABLE_COLUMNS)).astype(FIT_TABLE_COLUMNS)
