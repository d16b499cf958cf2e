"""Fit BG/NBD (purchase days) and Gamma-Gamma (spend per purchase day) by maximum
likelihood on the whole customer base; one row per model parameter with the fit
diagnostics. The maths lives in tag_warehouse.clv (tested on its own).
With var ltv_enabled false nothing is fitted (the table is empty, ltv = unknown)."""

from typing import Any

import pandas as pd

from tag_warehouse.clv import ClvFitError, FitResult, fit_bgnbd, fit_gamma_gamma

COLUMNS = {
    "model": "string",
    "parameter": "string",
    "value": "float64",
    "log_likelihood": "float64",
    "iterations": "int64",
    "converged": "bool",
    "customers_used": "int64",
    "as_of_date": "datetime64[s]",
    "message": "string",
}


def fit_rows(fit: FitResult, as_of_date: str) -> list[dict]:
    return [
        {
            "model": fit.model,
            "parameter": name,
            "value": value,
            "log_likelihood": fit.log_likelihood,
            "iterations": fit.iterations,
            "converged": fit.converged,
            "customers_used": fit.n_customers,
            "as_of_date": pd.Timestamp(as_of_date),
            "message": fit.message,
        }
        for name, value in fit.params.items()
    ]


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    ltv_enabled = str(dbt.config.meta_get("ltv_enabled")).lower() == "true"
    summary = dbt.ref("int_customers_clv_summarised").df()
    if not ltv_enabled:
        return pd.DataFrame({name: [] for name in COLUMNS}).astype(COLUMNS)
    if summary.empty:
        raise ClvFitError(
            "LTV fit impossible: no customer has a valid order up to as_of_date. "
            "Check the orders file, or set var ltv_enabled: false."
        )
    as_of_date = str(summary["as_of_date"].iloc[0])
    try:
        bgnbd = fit_bgnbd(
            summary["frequency"], summary["recency"], summary["customer_age"]
        )
        repeat = summary[summary["frequency"] > 0]
        gamma_gamma = fit_gamma_gamma(repeat["frequency"], repeat["monetary_value"])
    except ClvFitError as error:
        raise ClvFitError(
            f"LTV fit failed on {len(summary)} customers as of {as_of_date}: "
            f"{error} The build stops rather than write predictions from a failed "
            "fit. Too little history? Set var ltv_enabled: false (ltv = unknown)."
        ) from error
    rows = fit_rows(bgnbd, as_of_date) + fit_rows(gamma_gamma, as_of_date)
    return pd.DataFrame(rows).astype(COLUMNS)
