"""The CLV fit table (int_clv_models_fitted, and the table the client-side fit
writes on engines without dbt Python models): one row per parameter of a fitted
model, one row per model otherwise. Built from the grouped summaries
(int_clv_purchases_grouped, int_clv_spend_grouped); the dbt Python model and
``scripts/clv.py fit`` share it, so both engines' tables have the same shape and
values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
}


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


def fit_rows(outcome: ModelFit, as_of_date: str) -> list[dict[str, object]]:
    """One row per parameter of a fitted model, one row (no parameter) otherwise."""
    common = {
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
) -> pd.DataFrame:
    """The fit table of ``model_fits``, typed as FIT_TABLE_COLUMNS."""
    rows = [
        row
        for outcome in model_fits(settings, purchases, spend)
        for row in fit_rows(outcome, settings.as_of_date)
    ]
    return pd.DataFrame(rows, columns=list(FIT_TABLE_COLUMNS)).astype(FIT_TABLE_COLUMNS)
