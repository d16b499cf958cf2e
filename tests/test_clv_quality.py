"""Holdout quality of the purchase models: the error measures on hand numbers,
and on simulated BG/NBD customers the fitted model beats the naive baseline and
predicts the holdout total."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import fit_clv
import numpy as np
import pandas as pd
import pytest
from clv_simulation import simulate_customers

from tag_warehouse.clv.quality import (
    conditional_expectation,
    error_metrics,
    holdout_quality,
    quality_rows,
)


def test_error_metrics_on_hand_numbers() -> None:
    metrics = error_metrics(np.array([1.0, 2.0, 0.0]), np.array([0.0, 2.0, 2.0]))
    assert metrics["mae"] == pytest.approx(1.0)
    assert metrics["rmse"] == pytest.approx(np.sqrt(5 / 3))
    assert metrics["total_predicted"] == 3.0
    assert metrics["total_actual"] == 4.0


def test_conditional_expectation_buckets_seven_and_more() -> None:
    rows = conditional_expectation(
        np.array([0, 0, 1, 7, 12]),
        np.array([0.2, 0.4, 1.0, 3.0, 5.0]),
        np.array([0, 1, 2, 3, 7]),
    )
    assert [row["repeat_purchases"] for row in rows] == ["0", "1", "7+"]
    assert rows[0]["customers"] == 2
    assert rows[0]["mean_predicted"] == pytest.approx(0.3)
    assert rows[0]["mean_actual"] == pytest.approx(0.5)
    assert rows[2]["mean_predicted"] == pytest.approx(4.0)
    assert rows[2]["mean_actual"] == pytest.approx(5.0)


def test_holdout_quality_on_simulated_customers() -> None:
    sim = simulate_customers(
        3000, calibration_weeks=52, holdout_weeks=26, seed=5, model="bgnbd"
    )
    end = dt.date.fromisoformat(str(sim.calibration_end)[:10])
    report = holdout_quality(
        sim.transactions, "customer_id", "order_date", "amount", end, 182
    )
    bgnbd = report["models"]["bgnbd"]
    assert bgnbd["mae"] < report["naive"]["mae"]
    assert bgnbd["total_predicted"] == pytest.approx(bgnbd["total_actual"], rel=0.1)
    rows = bgnbd["conditional_expectation"]
    assert rows[0]["repeat_purchases"] == "0"
    assert sum(row["customers"] for row in rows) == report["customers"]
    spend = report["models"]["gamma_gamma"]
    assert spend["status"] == "fitted" and 0 < spend["customers"] < report["customers"]
    # the Gamma-Gamma's shrunk mean beats each customer's own past mean
    assert spend["mae"] < spend["naive"]["mae"]
    assert spend["total_predicted"] == pytest.approx(spend["total_actual"], rel=0.1)
    rows = quality_rows(report)
    keys = [(r["model"], r["measure"], r["calibration_repeat_purchases"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert {key for key in keys if key[0] == "gamma_gamma"} == {
        ("gamma_gamma", measure, "all") for measure in ("mae", "rmse", "total")
    }
    mae = next(r for r in rows if r["model"] == "bgnbd" and r["measure"] == "mae")
    assert mae["model_value"] == bgnbd["mae"]
    assert mae["naive_value"] == report["naive"]["mae"]
    with pytest.raises(ValueError, match="holdout_days must be at least 1"):
        holdout_quality(sim.transactions, "customer_id", "order_date", "amount", end, 0)


def test_a_model_that_cannot_be_fitted_is_a_row_not_an_exception() -> None:
    """No repeat buyer before the calibration end: every fit fails, each with its
    reason, and the table has one row per model without a measure."""
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "a"],
            "order_date": ["2026-01-05", "2026-02-01", "2026-03-01", "2026-04-10"],
            "amount": [10.0, 20.0, 30.0, 15.0],
        }
    )
    end = dt.date(2026, 3, 31)
    report = holdout_quality(orders, "customer_id", "order_date", "amount", end, 30)
    assert {name: model["status"] for name, model in report["models"].items()} == {
        "bgnbd": "failed",
        "gamma_gamma": "failed",
        "mbgnbd": "failed",
    }
    rows = quality_rows(report)
    assert [(r["model"], r["measure"]) for r in rows] == [
        ("bgnbd", None),
        ("gamma_gamma", None),
        ("mbgnbd", None),
    ]
    assert all(r["reason"] for r in rows)
    only = holdout_quality(
        orders, "customer_id", "order_date", "amount", end, 30, models=["mbgnbd"]
    )
    assert set(only["models"]) == {"mbgnbd"}


def test_fit_clv_prints_the_holdout_quality(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = simulate_customers(1500, calibration_weeks=52, holdout_weeks=13, seed=9)
    path = tmp_path / "orders.csv"
    sim.transactions.to_csv(path, index=False)
    assert fit_clv.main([str(path), "--holdout-days", "91"]) == 0
    report = json.loads(capsys.readouterr().out)
    quality = report["holdout_quality"]
    assert quality["status"] == "fitted"
    assert quality["holdout_days"] == 91
    assert set(quality["models"]) == {"bgnbd", "gamma_gamma", "mbgnbd"}
    assert {model["status"] for model in quality["models"].values()} == {"fitted"}
    assert (
        quality["naive"]["total_actual"] == quality["models"]["bgnbd"]["total_actual"]
    )
    assert fit_clv.main([str(path), "--holdout-days", "0"]) == 2
    assert "--holdout-days must be at least 1, got 0" in capsys.readouterr().err
