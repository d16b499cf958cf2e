"""Holdout quality of the CLV models at this build (issue #18 item 3): BG/NBD,
MBG/NBD and Gamma-Gamma fitted on the clean customers' completed orders up to
as_of_date - clv_holdout_days (the calibration end), scored on the
clv_holdout_days after it, up to as_of_date
(tag_warehouse.clv.quality.holdout_quality). One row per (model, measure,
bucket); a model whose fit fails on the calibration orders has one row, status
failed and the reason, and the others are scored as usual. Enabled by the same
vars as the fits: ltv_enabled (bgnbd, gamma_gamma), churn_risk_enabled (mbgnbd);
a disabled model has one row, status disabled. Orders are read into pandas only
when a model is on, as purchase days (one row per customer number and day)."""

import ast
import datetime as dt
from typing import Any

import pandas as pd

from tag_warehouse.clv.quality import MODELS, PREDICTS, holdout_quality, quality_rows

COLUMNS = {
    "model": "string",
    "predicts": "string",
    "status": "string",
    "reason": "string",
    "measure": "string",
    "calibration_repeat_purchases": "string",
    "customers": "Int64",
    "model_value": "float64",
    "naive_value": "float64",
    "actual_value": "float64",
    "as_of_date": "datetime64[s]",
    "calibration_end": "datetime64[s]",
    "horizon_days": "int64",
}
# The var that turns each model on (as in int_clv_models_fitted).
ENABLED_BY = {
    "bgnbd": "ltv_enabled",
    "gamma_gamma": "ltv_enabled",
    "mbgnbd": "churn_risk_enabled",
}


def build_date(value: Any) -> dt.date:
    """The build's as_of_date from the model's meta. Without --vars as_of_date the
    project default (the Jinja expression of today's date in dbt_project.yml)
    reaches a Python model's config unrendered; it means today, as the SQL renders
    it. Any other value was checked by the validate_vars hook before any model."""
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return dt.date.today()


def enabled(value: Any) -> bool:
    """A boolean var passed through the model's meta (rendered as text)."""
    return str(value).lower() == "true"


def quantiles(value: Any) -> list[float]:
    """The var ltv_winsorise_quantiles, whether dbt rendered it as text or a list."""
    if isinstance(value, str):
        value = ast.literal_eval(value)
    return [float(q) for q in value]


def purchase_days(dbt: Any) -> pd.DataFrame:
    """Completed orders of clean customers up to as_of_date, summed per customer
    and day in DuckDB (what the models count as one purchase; the amounts are
    decimals, so the sums are exact), in a fixed order so that the fits see the
    same input at every rebuild. Customers travel as numbers (their rank by id:
    the same grouping and order as the ids), so ten million purchase days are
    about 240 MB in pandas, not a column of Python strings."""
    numbered = dbt.ref("stg_crm__customers").project(
        "customer_id, row_number() over (order by customer_id) as customer_number"
    )
    orders = dbt.ref("int_completed_orders_unioned")
    return (
        orders.join(numbered, "customer_id")
        .aggregate(
            "customer_number, order_date, sum(amount) as amount",
            "customer_number, order_date",
        )
        .order("customer_number, order_date")
        .df()
    )


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    # dbt hands a Python model only the meta keys it finds as literal
    # dbt.config.meta_get("...") calls in its code.
    as_of_date = build_date(dbt.config.meta_get("as_of_date"))
    horizon = int(dbt.config.meta_get("clv_holdout_days"))
    switches = {
        "ltv_enabled": enabled(dbt.config.meta_get("ltv_enabled")),
        "churn_risk_enabled": enabled(dbt.config.meta_get("churn_risk_enabled")),
    }
    wanted = [name for name in MODELS if switches[ENABLED_BY[name]]]
    calibration_end = as_of_date - dt.timedelta(days=horizon)
    rows = []
    if wanted:
        report = holdout_quality(
            purchase_days(dbt),
            "customer_number",
            "order_date",
            "amount",
            calibration_end,
            horizon,
            models=wanted,
            spend_remedy=str(dbt.config.meta_get("ltv_spend_remedy")),
            winsorise_quantiles=quantiles(
                dbt.config.meta_get("ltv_winsorise_quantiles")
            ),
        )
        rows = quality_rows(report)
    rows += [
        {
            "model": name,
            "predicts": PREDICTS[name],
            "status": "disabled",
            "reason": f"var {ENABLED_BY[name]} is false",
            "calibration_repeat_purchases": "all",
        }
        for name in MODELS
        if name not in wanted
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["as_of_date"] = pd.Timestamp(as_of_date)
    frame["calibration_end"] = pd.Timestamp(calibration_end)
    frame["horizon_days"] = horizon
    return frame.astype(COLUMNS)
