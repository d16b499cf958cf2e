"""CLV scoring in SQL (issue #23 part 2) on the demo build: the fit on the grouped
summaries equals the per-customer fit of tag_warehouse.clv on the build's own
summary, and the SQL predictions (int_customers_ltv_predicted,
int_customers_p_alive_predicted) equal tag_warehouse.clv's on that summary with
those parameters, to 1e-6 relative. Reads the shared demo build (no dbt run):
about a second."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import duckdb
import jinja2
import numpy as np
import pandas as pd
import pytest
from dbt_helpers import ROOT, DbtRun

from tag_warehouse.clv import (
    FitResult,
    ModelFit,
    fit_clv_models,
    fit_mbgnbd_model,
    mbgnbd_prob_alive,
    predict_ltv,
    quality,
)
from tag_warehouse.clv._common import (
    DAYS_PER_UNIT,
    DAYS_PER_YEAR,
    DEFAULT_WINSORISE_QUANTILES,
)
from tag_warehouse.clv.table import FitSettings, build_date
from tag_warehouse.clv_engine import EngineInputs, engine_fit_table

# The project's defaults (dbt_project.yml) the demo build ran with.
HORIZON_YEARS, UNIT, DISCOUNT_RATE = 3.0, "week", 0.0
HOLDOUT_DAYS = 90
RELATIVE = 1e-6
# Below e^-700 the SQL P(alive) is 0 (PostgreSQL cannot exp further down).
ABSOLUTE = 1e-300


def read(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return con.sql(f"select * from intermediate.{table}").df()


def fitted_params(fits: pd.DataFrame, model: str) -> dict[str, float]:
    rows = fits[(fits["model"] == model) & (fits["status"] == "fitted")]
    return dict(zip(rows["parameter"], rows["value"].astype(float), strict=True))


def as_fit(model: str, params: dict[str, float]) -> FitResult:
    return FitResult(model, params, 0.0, 0, True, 0)


def assert_same_params(outcome: ModelFit, table: dict[str, float]) -> None:
    assert outcome.fit is not None
    assert table.keys() == outcome.fit.params.keys()
    for name, value in outcome.fit.params.items():
        assert table[name] == pytest.approx(value, rel=1e-12)


def test_sql_scoring_equals_the_python_models(demo_build: DbtRun) -> None:
    with duckdb.connect(str(demo_build.db_path), read_only=True) as con:
        summary = read(con, "int_customers_clv_summarised")
        fits = read(con, "int_clv_models_fitted")
        ltv = read(con, "int_customers_ltv_predicted").set_index("customer_id")
        alive = read(con, "int_customers_p_alive_predicted").set_index("customer_id")
        bounds = read(con, "int_clv_purchases_if_alive")["series_error_bound"]
    summary = summary.set_index("customer_id").rename(columns={"customer_age": "T"})
    # The parameters fitted on the grouped summaries are today's per-customer fit.
    per_customer = fit_clv_models(summary, HORIZON_YEARS, UNIT, DISCOUNT_RATE)
    params = {name: fitted_params(fits, name) for name in ("bgnbd", "gamma_gamma")}
    for name, outcome in per_customer.items():
        assert_same_params(outcome, params[name])
    mbgnbd = fitted_params(fits, "mbgnbd")
    assert_same_params(fit_mbgnbd_model(summary), mbgnbd)
    # The SQL predictions are tag_warehouse.clv's on the same summary.
    expected = predict_ltv(
        summary,
        as_fit("bgnbd", params["bgnbd"]),
        as_fit("gamma_gamma", params["gamma_gamma"]),
        HORIZON_YEARS,
        UNIT,
        DISCOUNT_RATE,
    )
    for column in expected.columns:
        np.testing.assert_allclose(
            ltv.loc[expected.index, column].to_numpy(np.float64),
            expected[column].to_numpy(np.float64),
            rtol=RELATIVE,
            atol=ABSOLUTE,
            err_msg=column,
        )
    p_alive = mbgnbd_prob_alive(
        mbgnbd, summary["frequency"], summary["recency"], summary["T"]
    )
    np.testing.assert_allclose(
        alive.loc[summary.index, "p_alive"].to_numpy(np.float64),
        p_alive,
        rtol=RELATIVE,
        atol=ABSOLUTE,
    )
    # Customers without a valid order: 0 LTV, null P(alive); the series bound held.
    others = ltv.index.difference(summary.index)
    assert len(others) > 0
    assert (ltv.loc[others] == 0.0).all().all()
    assert alive.loc[others, "p_alive"].isna().all()
    assert float(bounds.max()) <= 1e-9


def test_sql_time_units_equal_the_python_ones() -> None:
    """The scoring SQL's days per unit and per year (macro clv_time_units) are the
    ones tag_warehouse.clv fits with; the backtest SQL's unit, buckets and models
    (macro clv_backtest_settings) are tag_warehouse.clv.quality's."""
    returned: list[Any] = []
    source = (ROOT / "macros" / "utils" / "clv_scoring.sql").read_text("utf-8")
    macros = jinja2.Environment(extensions=["jinja2.ext.do"]).from_string(
        source, globals={"return": returned.append}
    )
    macros.module.clv_time_units()
    macros.module.clv_backtest_settings()
    units, backtest = returned
    assert units["days_per_year"] == DAYS_PER_YEAR
    assert units["days_per_unit"] == DAYS_PER_UNIT
    assert backtest["unit"] == quality.UNIT
    assert backtest["repeat_cap"] == quality.REPEAT_CAP
    assert backtest["all_bucket"] == quality.ALL_CUSTOMERS
    models = {entry["model"]: entry for entry in backtest["models"]}
    assert tuple(models) == quality.MODELS
    assert {name: entry["predicts"] for name, entry in models.items()} == (
        quality.PREDICTS
    )


def as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as Python objects, every missing one None (pandas' NA, NaN, NaT and
    DuckDB's None compare equal)."""
    return frame.astype(object).where(frame.notna(), None)


def test_the_client_step_fits_the_backtest_as_duckdb_does(demo_build: DbtRun) -> None:
    """scripts/clv.py fit's table (tag_warehouse.clv_engine.engine_fit_table) on
    the demo build's grouped summaries: its backtest rows are
    int_clv_calibration_models_fitted's, its scoring rows int_clv_models_fitted's
    (what PostgreSQL and Spark read, column fit); without the calibration
    summaries it writes the scoring fit alone."""
    with duckdb.connect(str(demo_build.db_path), read_only=True) as con:
        tables = {
            name: read(con, name)
            for name in (
                "int_clv_purchases_grouped",
                "int_clv_spend_grouped",
                "int_clv_calibration_purchases_grouped",
                "int_clv_calibration_spend_grouped",
                "int_clv_models_fitted",
                "int_clv_calibration_models_fitted",
            )
        }
    [as_of_date] = set(tables["int_clv_models_fitted"]["as_of_date"].dt.date)
    settings = FitSettings(
        as_of_date=as_of_date.isoformat(),
        ltv_enabled=True,
        churn_risk_enabled=True,
        horizon_years=HORIZON_YEARS,
        unit=UNIT,
        annual_discount_rate=DISCOUNT_RATE,
        spend_remedy="winsorise",
        winsorise_quantiles=DEFAULT_WINSORISE_QUANTILES,
    )

    def purchases(name: str) -> pd.DataFrame:
        return tables[name].rename(columns={"customer_age": "T"})

    inputs = EngineInputs(
        settings,
        HOLDOUT_DAYS,
        purchases("int_clv_purchases_grouped"),
        tables["int_clv_spend_grouped"],
        purchases("int_clv_calibration_purchases_grouped"),
        tables["int_clv_calibration_spend_grouped"],
    )
    table = engine_fit_table(inputs)
    key = ["model", "parameter"]
    for fit, model in (
        ("scoring", "int_clv_models_fitted"),
        ("backtest", "int_clv_calibration_models_fitted"),
    ):
        expected = tables[model].sort_values(key, ignore_index=True)
        rows = table[table["fit"] == fit].sort_values(key, ignore_index=True)
        assert set(expected["status"]) == {"fitted"}
        pd.testing.assert_frame_equal(
            as_objects(rows[expected.columns]),
            as_objects(expected),
            check_exact=False,
            rtol=1e-12,
        )
    scoring_only = engine_fit_table(replace(inputs, backtest_purchases=None))
    assert set(scoring_only["fit"]) == {"scoring"}


def test_the_fit_reads_only_an_iso_build_date() -> None:
    """Both fit paths pass the date rendered at run time; anything else stops the
    fit naming the value, never becomes today."""
    assert build_date("2026-06-30") == "2026-06-30"
    with pytest.raises(ValueError, match="as_of_date '30/06/2026', not an ISO date"):
        build_date("30/06/2026")
