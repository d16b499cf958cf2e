"""Predicted lifetime value over the next ltv_horizon_years, one row per clean
customer: expected purchase days (BG/NBD conditional expectation) x expected spend
per purchase day (Gamma-Gamma conditional mean), optionally discounted. Customers
with no valid order get 0 (the models describe customers after a first purchase).
With var ltv_enabled false every prediction is null (ltv = unknown)."""

from typing import Any

import pandas as pd

from tag_warehouse.clv import FitResult, predict_ltv


def fitted(params: pd.DataFrame, name: str) -> FitResult:
    rows = params[params["model"] == name]
    first = rows.iloc[0]
    return FitResult(
        model=name,
        params=dict(zip(rows["parameter"], rows["value"], strict=True)),
        log_likelihood=float(first["log_likelihood"]),
        iterations=int(first["iterations"]),
        converged=bool(first["converged"]),
        n_customers=int(first["customers_used"]),
        message=str(first["message"]),
    )


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    horizon_years = float(dbt.config.meta_get("ltv_horizon_years"))
    unit = str(dbt.config.meta_get("ltv_time_unit"))
    discount_rate = float(dbt.config.meta_get("ltv_annual_discount_rate"))
    customers = dbt.ref("stg_crm__customers").df()[["customer_id"]]
    summary = dbt.ref("int_customers_clv_summarised").df().set_index("customer_id")
    params = dbt.ref("int_clv_models_fitted").df()
    numbers = ["expected_purchases", "expected_spend_per_purchase", "predicted_ltv"]
    if params.empty:
        return customers.assign(
            **{name: float("nan") for name in [*numbers, "prob_alive"]}
        )
    models = {name: fitted(params, name) for name in params["model"].unique()}
    predictions = predict_ltv(
        summary.rename(columns={"customer_age": "T"}),
        models["bgnbd"],
        models["gamma_gamma"],
        horizon_years=horizon_years,
        unit=unit,
        annual_discount_rate=discount_rate,
    )
    scored = customers.merge(
        predictions, how="left", left_on="customer_id", right_index=True
    )
    scored[numbers] = scored[numbers].fillna(0.0)
    scored["prob_alive"] = scored["prob_alive"].fillna(0.0)
    return scored[["customer_id", *numbers, "prob_alive"]]
