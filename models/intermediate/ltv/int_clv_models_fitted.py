"""Fit BG/NBD (purchase days) and Gamma-Gamma (spend per purchase day) by maximum
likelihood on the whole customer base, read as the distinct summaries with their
customer counts (int_clv_purchases_grouped, int_clv_spend_grouped: a few
thousand rows whatever the customer count; the counts are the fits' weights, the
optimum is the one on one row per customer); per model its status (fitted /
failed / disabled), the reason when not fitted and the spend remedy used, and
one row per parameter when fitted. A failed fit never stops the build: its
predictions are null (ltv = unknown) and the data test no_failed_model_fit warns
(var clv_fit_failure_severity). The maths and the table's shape live in
tag_warehouse.clv (tested on their own; `scripts/clv.py fit` writes the same
table on PostgreSQL and Spark). With var ltv_enabled false nothing is fitted
(status disabled, ltv = unknown). MBG/NBD (P(alive) behind churn_risk, spec 3.2)
is fitted beside them on the same summary, on its own: its failure makes only
p_alive and churn_risk unknown, and var churn_risk_enabled false disables it
alone."""

import ast
import datetime as dt
from typing import Any

import pandas as pd

from tag_warehouse.clv.table import FitSettings, fit_table


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


def enabled(value: Any) -> bool:
    """A boolean var passed through the model's meta (rendered as text)."""
    return str(value).lower() == "true"


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    # dbt hands a Python model only the meta keys it finds as literal
    # dbt.config.meta_get("...") calls in its code.
    settings = FitSettings(
        as_of_date=build_date(dbt.config.meta_get("as_of_date")),
        ltv_enabled=enabled(dbt.config.meta_get("ltv_enabled")),
        churn_risk_enabled=enabled(dbt.config.meta_get("churn_risk_enabled")),
        horizon_years=float(dbt.config.meta_get("ltv_horizon_years")),
        unit=str(dbt.config.meta_get("ltv_time_unit")),
        annual_discount_rate=float(dbt.config.meta_get("ltv_annual_discount_rate")),
        spend_remedy=str(dbt.config.meta_get("ltv_spend_remedy")),
        winsorise_quantiles=quantiles(dbt.config.meta_get("ltv_winsorise_quantiles")),
    )
    # The grouped summaries are read into pandas only for a model that is on.
    purchases = spend = None
    if settings.wanted:
        purchases = dbt.ref("int_clv_purchases_grouped").df()
        purchases = purchases.rename(columns={"customer_age": "T"})
        spend = dbt.ref("int_clv_spend_grouped").df()
    return fit_table(settings, purchases, spend)
