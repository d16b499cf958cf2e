"""Predicted lifetime value over the next ltv_horizon_years, one row per clean
customer: expected purchase days (BG/NBD conditional expectation) x expected spend
per purchase day (Gamma-Gamma conditional mean, from each customer's own mean
spend), optionally discounted. Customers with no valid order get 0 (the models
describe customers after a first purchase). When a model the LTV needs is not
fitted (failed, or disabled by var ltv_enabled false) every prediction is null
(ltv = unknown); int_clv_models_fitted says why."""

from typing import Any

import pandas as pd

from tag_warehouse.clv import LTV_MODELS, FitResult, predict_ltv


def fitted(params: pd.DataFrame, name: str) -> FitResult | None:
    """The fitted model `name` from the fit table, or None when it is not fitted."""
    rows = params[(params["model"] == name) & (params["status"] == "fitted")]
    if rows.empty:
        return None
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


def model(dbt: Any, session: Any) -> Any:  # a pandas frame or a DuckDB relation
    dbt.config(materialized="table")
    horizon_years = float(dbt.config.meta_get("ltv_horizon_years"))
    unit = str(dbt.config.meta_get("ltv_time_unit"))
    discount_rate = float(dbt.config.meta_get("ltv_annual_discount_rate"))
    params = dbt.ref("int_clv_models_fitted").df()
    numbers = ["expected_purchases", "expected_spend_per_purchase", "predicted_ltv"]
    models = {name: fitted(params, name) for name in LTV_MODELS}
    bgnbd, gamma_gamma = models["bgnbd"], models["gamma_gamma"]
    if bgnbd is None or gamma_gamma is None:
        # Nothing to predict: the customers stay in DuckDB (a relation), none of
        # them is pulled into pandas (52 s at 10 million customers, issue #22).
        nulls = ", ".join(f"cast(null as double) as {name}" for name in numbers)
        return dbt.ref("stg_crm__customers").project(
            f"customer_id, {nulls}, cast(null as double) as prob_alive"
        )
    customers = dbt.ref("stg_crm__customers").df()[["customer_id"]]
    summary = dbt.ref("int_customers_clv_summarised").df().set_index("customer_id")
    predictions = predict_ltv(
        summary.rename(columns={"customer_age": "T"}),
        bgnbd,
        gamma_gamma,
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
