"""P(alive) at as_of_date under the MBG/NBD model (spec 3.2), one row per clean
customer: 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)) on the CLV summary.
Null for a customer without a valid order, and for everyone when the MBG/NBD is
not fitted (failed, or disabled by var churn_risk_enabled false:
int_clv_models_fitted says why); churn_risk is then unknown. The LTV does not read
it, so a failed MBG/NBD fit touches nothing else."""

from typing import Any

import pandas as pd

from tag_warehouse.clv import MBGNBD_PARAM_NAMES, mbgnbd_prob_alive


def fitted_params(params: pd.DataFrame) -> dict[str, float] | None:
    """The fitted MBG/NBD parameters from the fit table, or None when not fitted."""
    rows = params[(params["model"] == "mbgnbd") & (params["status"] == "fitted")]
    if rows.empty:
        return None
    values = dict(zip(rows["parameter"], rows["value"], strict=True))
    return {name: float(values[name]) for name in MBGNBD_PARAM_NAMES}


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    customers = dbt.ref("stg_crm__customers").df()[["customer_id"]]
    summary = dbt.ref("int_customers_clv_summarised").df()
    params = fitted_params(dbt.ref("int_clv_models_fitted").df())
    if params is None or summary.empty:
        return customers.assign(p_alive=float("nan"))
    alive = summary[["customer_id"]].assign(
        p_alive=mbgnbd_prob_alive(
            params, summary["frequency"], summary["recency"], summary["customer_age"]
        )
    )
    return customers.merge(alive, how="left", on="customer_id")
