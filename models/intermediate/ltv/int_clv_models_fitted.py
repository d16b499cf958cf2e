"""Fit BG/NBD (purchase days) and Gamma-Gamma (spend per purchase day) by maximum
likelihood on the whole customer base, read as the distinct summaries with their
customer counts (int_clv_purchases_grouped, int_clv_spend_grouped: a few
thousand rows whatever the customer count; the counts are the fits' weights, the
optimum is the one on one row per customer); per model its status (fitted / failed /
disabled), the reason when not fitted and the spend remedy used, and one row per
parameter when fitted. A failed fit never stops the build: its predictions are null
(ltv = unknown) and the data test no_failed_model_fit warns (var
clv_fit_failure_severity). The maths lives in tag_warehouse.clv (tested on its own).
With var ltv_enabled false nothing is fitted (status disabled, ltv = unknown).
MBG/NBD (P(alive) behind churn_risk, spec 3.2) is fitted beside them on the same
summary, on its own: its failure makes only p_alive and churn_risk unknown, and
var churn_risk_enabled false disables it alone."""

import ast
import datetime as dt
from typing import Any

import pandas as pd

from tag_warehouse.clv import LTV_MODELS, ModelFit, fit_clv_models, fit_mbgnbd_model

COLUMNS = {
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


def fit_rows(outcome: ModelFit, as_of_date: str) -> list[dict]:
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


def build_date(value: Any) -> str:
    """The build's as_of_date from the model's meta. Without --vars as_of_date the
    project default (the Jinja expression of today's date in dbt_project.yml)
    reaches a Python model's config unrendered; it means today, as the SQL renders
    it. Any other value was checked by the validate_vars hook before any model."""
    text = str(value)
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return dt.date.today().isoformat()


def quantiles(value: Any) -> list[float]:
    """The var ltv_winsorise_quantiles, whether dbt rendered it as text or a list."""
    if isinstance(value, str):
        value = ast.literal_eval(value)
    return [float(q) for q in value]


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    # dbt hands a Python model only the meta keys it finds as literal
    # dbt.config.meta_get("...") calls in its code.
    as_of_date = build_date(dbt.config.meta_get("as_of_date"))
    # The grouped summaries are read into pandas only for a model that is on.
    wanted = enabled(dbt.config.meta_get("ltv_enabled")) or enabled(
        dbt.config.meta_get("churn_risk_enabled")
    )
    purchases = spend = None
    if wanted:
        purchases = dbt.ref("int_clv_purchases_grouped").df()
        purchases = purchases.rename(columns={"customer_age": "T"})
        spend = dbt.ref("int_clv_spend_grouped").df()
    outcomes = ltv_outcomes(dbt, purchases, spend) + [mbgnbd_outcome(dbt, purchases)]
    rows = [row for outcome in outcomes for row in fit_rows(outcome, as_of_date)]
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMNS)


def enabled(value: Any) -> bool:
    """A boolean var passed through the model's meta (rendered as text)."""
    return str(value).lower() == "true"


def mbgnbd_outcome(dbt: Any, purchases: pd.DataFrame | None) -> ModelFit:
    """The MBG/NBD fit for p_alive, or why there is none."""
    if not enabled(dbt.config.meta_get("churn_risk_enabled")):
        return ModelFit("mbgnbd", "disabled", "var churn_risk_enabled is false")
    assert purchases is not None  # read when the model is on
    return fit_mbgnbd_model(purchases)


def ltv_outcomes(
    dbt: Any, purchases: pd.DataFrame | None, spend: pd.DataFrame | None
) -> list[ModelFit]:
    """The BG/NBD and Gamma-Gamma fits for the LTV, or why there are none."""
    if not enabled(dbt.config.meta_get("ltv_enabled")):
        outcomes = [
            ModelFit(name, "disabled", "var ltv_enabled is false")
            for name in LTV_MODELS
        ]
    else:
        assert purchases is not None  # read when the model is on
        fits = fit_clv_models(
            purchases,
            horizon_years=float(dbt.config.meta_get("ltv_horizon_years")),
            unit=str(dbt.config.meta_get("ltv_time_unit")),
            annual_discount_rate=float(dbt.config.meta_get("ltv_annual_discount_rate")),
            spend_remedy=str(dbt.config.meta_get("ltv_spend_remedy")),
            winsorise_quantiles=quantiles(
                dbt.config.meta_get("ltv_winsorise_quantiles")
            ),
            spend_summary=spend,
        )
        outcomes = [fits[name] for name in LTV_MODELS]
    return outcomes
