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
table on PostgreSQL and Spark, column fit = scoring). With var ltv_enabled false
nothing is fitted (status disabled, ltv = unknown). MBG/NBD (P(alive) behind
churn_risk, spec 3.2) is fitted beside them on the same summary, on its own: its
failure makes only p_alive and churn_risk unknown, and var churn_risk_enabled
false disables it alone."""

from typing import Any

import pandas as pd

from tag_warehouse.clv.table import (
    SCORING_FIT,
    as_of_date_of,
    fit_table,
    settings_from_meta,
)


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    # dbt hands a Python model only the meta keys it finds as literal
    # dbt.config.meta_get("...") calls in its code; the date is read at run time.
    settings = settings_from_meta(
        {
            "as_of_date": as_of_date_of(dbt.ref("int_clv_fit_as_of_date").df()),
            "ltv_enabled": dbt.config.meta_get("ltv_enabled"),
            "churn_risk_enabled": dbt.config.meta_get("churn_risk_enabled"),
            "ltv_horizon_years": dbt.config.meta_get("ltv_horizon_years"),
            "ltv_time_unit": dbt.config.meta_get("ltv_time_unit"),
            "ltv_annual_discount_rate": dbt.config.meta_get("ltv_annual_discount_rate"),
            "ltv_spend_remedy": dbt.config.meta_get("ltv_spend_remedy"),
            "ltv_winsorise_quantiles": dbt.config.meta_get("ltv_winsorise_quantiles"),
        }
    )
    # The grouped summaries are read into pandas only for a model that is on.
    purchases = spend = None
    if settings.wanted:
        purchases = dbt.ref("int_clv_purchases_grouped").df()
        purchases = purchases.rename(columns={"customer_age": "T"})
        spend = dbt.ref("int_clv_spend_grouped").df()
    return fit_table(settings, purchases, spend, SCORING_FIT)
