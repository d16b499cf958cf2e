"""With ltv_enabled and churn_risk_enabled false the CLV Python models (the
scoring fit and the backtest's) do no model work: neither the summaries nor their
grouped rows are pulled into pandas (issue #22:
52 s at 10 million customers). The models are run here as dbt-duckdb runs them
(model(dbt, session)) with a stand-in `dbt` object whose summaries cannot be
read; the SQL scorers (int_customers_ltv_predicted,
int_customers_p_alive_predicted) then read no summary at all (their manifest
dependencies in tests/test_clv_fit_failures.py), and that file proves the built
tables of a disabled run."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import duckdb
import pandas as pd
from dbt_helpers import ROOT

LTV_DIR = ROOT / "models" / "intermediate" / "ltv"
META = {
    "ltv_enabled": "False",
    "churn_risk_enabled": "False",
    "ltv_horizon_years": "1",
    "ltv_time_unit": "week",
    "ltv_annual_discount_rate": "0",
    "clv_holdout_days": "90",
    "ltv_spend_remedy": "winsorise",
    "ltv_winsorise_quantiles": "[0.99, 0.95]",
}
# What the models would read per customer or per order when on.
PER_CUSTOMER = {
    "int_customers_clv_summarised",
    "int_customers_clv_calibration_summarised",
    "int_completed_orders_unioned",
    "int_clv_purchases_grouped",
    "int_clv_spend_grouped",
    "int_clv_calibration_purchases_grouped",
    "int_clv_calibration_spend_grouped",
}


def load_model(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, LTV_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Config:
    def __call__(self, **_: Any) -> None:
        pass

    def meta_get(self, key: str) -> str:
        return META[key]


class Dbt:
    """dbt's object in a Python model: ref() gives a DuckDB relation."""

    config = Config()

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def ref(self, name: str) -> Any:
        if name in PER_CUSTOMER:
            raise AssertionError(f"{name} was read with every model off")
        return self.con.table(name)


def test_disabled_models_read_no_summary() -> None:
    with duckdb.connect() as con:
        con.execute(
            "create table stg_crm__customers as"
            " select 'C' || range as customer_id from range(5)"
        )
        con.execute(
            "create table int_clv_fit_as_of_date as"
            " select date '2026-06-30' as as_of_date"
        )
        fits = load_model("int_clv_models_fitted").model(Dbt(con), con)
        assert isinstance(fits, pd.DataFrame)
        assert set(fits["status"]) == {"disabled"}
        backtest = load_model("int_clv_calibration_models_fitted").model(Dbt(con), con)
        assert set(backtest["status"]) == {"disabled"} and len(backtest) == 3
        assert set(backtest["fit"]) == {"backtest"}
        assert set(fits["as_of_date"]) == {pd.Timestamp("2026-06-30")}
