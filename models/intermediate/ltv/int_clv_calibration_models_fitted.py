"""The backtest's CLV fits (marts.clv_model_quality): BG/NBD, Gamma-Gamma and
MBG/NBD fitted as int_clv_models_fitted fits them (spend remedy and failure
checks included), on the calibration orders of the backtest, up to as_of_date -
var clv_holdout_days, read as the grouped calibration summaries
(int_clv_calibration_purchases_grouped, int_clv_calibration_spend_grouped) with
their counts as weights, in weeks, checked over the holdout
(tag_warehouse.clv.quality.backtest_settings). The fit table's shape, column fit =
backtest; `scripts/clv.py fit` writes the same rows on PostgreSQL and Spark. A
failed fit is a status and a reason, never an error; a model switched off by its
var (ltv_enabled, churn_risk_enabled) is disabled and nothing is read."""

from typing import Any

import pandas as pd

from tag_warehouse.clv.quality import backtest_settings
from tag_warehouse.clv.table import (
    BACKTEST_FIT,
    as_of_date_of,
    fit_table,
    settings_from_meta,
)


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    # dbt hands a Python model only the meta keys it finds as literal
    # dbt.config.meta_get("...") calls in its code; the date is read at run
    # time. The horizon, unit and discounting of the LTV vars are replaced by
    # the backtest's (backtest_settings).
    build = settings_from_meta(
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
    settings = backtest_settings(build, int(dbt.config.meta_get("clv_holdout_days")))
    # The grouped summaries are read into pandas only for a model that is on.
    purchases = spend = None
    if settings.wanted:
        purchases = dbt.ref("int_clv_calibration_purchases_grouped").df()
        purchases = purchases.rename(columns={"customer_age": "T"})
        spend = dbt.ref("int_clv_calibration_spend_grouped").df()
    return fit_table(settings, purchases, spend, BACKTEST_FIT)
