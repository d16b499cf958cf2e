"""Fits on grouped summaries (issue #23 part 2): the BG/NBD and MBG/NBD
likelihoods depend on a customer only through (x, t_x, T), Gamma-Gamma through
(x, m), so the fits on the distinct rows with their customer counts (what
int_clv_purchases_grouped and int_clv_spend_grouped hold, and what the
client-side fit reads from PostgreSQL or Spark) reach the same optimum as the
fits on one row per customer, spend remedy included. Pure Python, well under a
second."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from clv_simulation import simulate_customers

from tag_warehouse.clv import (
    WEIGHT_COLUMN,
    ModelFit,
    fit_clv_models,
    fit_mbgnbd_model,
    summarise_transactions,
    weighted_quantile,
)

FIT_ARGS = {"horizon_years": 3.0, "unit": "week", "annual_discount_rate": 0.1}


def customer_summary(q: float, seed: int) -> pd.DataFrame:
    """One row per customer, as int_customers_clv_summarised (purchase days,
    weeks; the mean spend rounded to cents like decimal amounts)."""
    sim = simulate_customers(3000, q=q, seed=seed, model="mbgnbd")
    summary = summarise_transactions(
        sim.transactions,
        "customer_id",
        "order_date",
        "amount",
        calibration_end=sim.calibration_end,
        unit="week",
    )
    return summary.assign(monetary_value=summary["monetary_value"].round(2))


def grouped(summary: pd.DataFrame, columns: list[str], seed: int = 1) -> pd.DataFrame:
    """The distinct rows of ``columns`` with their counts, in a shuffled order
    (an engine's GROUP BY promises none)."""
    counts = summary.groupby(columns).size().rename(WEIGHT_COLUMN).reset_index()
    return counts.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def same_fit(per_customer: ModelFit, weighted: ModelFit) -> None:
    """Same status, remedy and counts; the same optimum (see below)."""
    assert weighted.status == per_customer.status
    assert weighted.n_customers == per_customer.n_customers
    assert weighted.spend_remedy == per_customer.spend_remedy
    assert weighted.spend_cap == per_customer.spend_cap
    assert weighted.spend_cap_quantile == per_customer.spend_cap_quantile
    if per_customer.fit is None:
        assert weighted.fit is None and weighted.reason == per_customer.reason
        return
    assert weighted.fit is not None
    # Both paths collapse to the same sorted distinct rows and weights before
    # the optimiser, so it runs on identical arrays: equal to the last bit. The
    # bound asked for is 1e-6 relative.
    for name, value in per_customer.fit.params.items():
        assert weighted.fit.params[name] == pytest.approx(value, rel=1e-12)
    assert weighted.fit.log_likelihood == pytest.approx(
        per_customer.fit.log_likelihood, rel=1e-12
    )
    assert weighted.fit.n_customers == per_customer.fit.n_customers


@pytest.mark.parametrize(
    ("q", "remedy"), [(4.0, "none"), (0.7, "winsorised")], ids=["plain", "winsorised"]
)
def test_grouped_fits_reach_the_per_customer_optimum(q: float, remedy: str) -> None:
    """BG/NBD, Gamma-Gamma and MBG/NBD on (x, t_x, T) and (x, m) grouped with
    counts equal today's per-customer fits; with heavy-tailed spend (q < 1) the
    Gamma-Gamma is winsorised at the same quantile and the same cap."""
    summary = customer_summary(q, seed=3)
    purchases = grouped(summary, ["frequency", "recency", "T"])
    spend = grouped(summary, ["frequency", "monetary_value"])
    assert len(purchases) < len(summary) / 2  # the grouping does reduce the rows
    per_customer = fit_clv_models(summary, **FIT_ARGS)
    weighted = fit_clv_models(purchases, **FIT_ARGS, spend_summary=spend)
    for name in ("bgnbd", "gamma_gamma"):
        same_fit(per_customer[name], weighted[name])
    assert weighted["gamma_gamma"].spend_remedy == remedy
    assert weighted["bgnbd"].status == "fitted"
    same_fit(fit_mbgnbd_model(summary), fit_mbgnbd_model(purchases))


def test_weighted_quantile_is_numpys_on_the_repeated_rows() -> None:
    """The winsorising cap on grouped spend is the very float np.quantile gives
    on one value per customer."""
    rng = np.random.default_rng(0)
    for _ in range(500):
        values = np.round(rng.lognormal(3.0, 1.0, rng.integers(1, 40)), 2)
        counts = rng.integers(1, 6, values.size).astype(np.float64)
        for q in (0.0, 0.5, 0.75, 0.9, 0.99, 1.0, float(rng.random())):
            expected = np.quantile(np.repeat(values, counts.astype(int)), q)
            assert weighted_quantile(values, counts, q) == expected
