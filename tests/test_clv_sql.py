"""CLV scoring in SQL (issue #23 part 2) on the demo build: the fit on the grouped
summaries equals the per-customer fit of tag_warehouse.clv on the build's own
summary, and the SQL predictions (int_customers_ltv_predicted,
int_customers_p_alive_predicted) equal tag_warehouse.clv's on that summary with
those parameters, to 1e-6 relative. Reads the shared demo build (no dbt run):
about a second."""

from __future__ import annotations

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
)
from tag_warehouse.clv._common import DAYS_PER_UNIT, DAYS_PER_YEAR

# The project's defaults (dbt_project.yml) the demo build ran with.
HORIZON_YEARS, UNIT, DISCOUNT_RATE = 3.0, "week", 0.0
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
    ones tag_warehouse.clv fits with."""
    returned: list[Any] = []
    source = (ROOT / "macros" / "utils" / "clv_scoring.sql").read_text("utf-8")
    macros = jinja2.Environment(extensions=["jinja2.ext.do"]).from_string(
        source, globals={"return": returned.append}
    )
    macros.module.clv_time_units()
    (units,) = returned
    assert units["days_per_year"] == DAYS_PER_YEAR
    assert units["days_per_unit"] == DAYS_PER_UNIT
