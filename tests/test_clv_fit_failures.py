"""A CLV fit that fails never takes the warehouse down (issue #19 items 1-2).

Before this change, on the generator's mixed consumer/business base
(`spend_mix="b2c_b2b"`, 300 customers, seed 1) `int_clv_models_fitted` raised
"Gamma-Gamma fit gave q = 0.6384 <= 1" and `dbt build` skipped every model after
it; on 58 customers (seed 1) BG/NBD ended ABNORMAL with a and b in the millions,
`expected_purchases` and `predicted_ltv` came out -inf and the build stopped on
their range tests. Now a failed fit is a status with a reason in the fit table,
only `ltv` turns unknown, the test `clv_model_fit_failed` warns (or fails, by var
`clv_fit_failure_severity`), and the spend model winsorises heavy-tailed spend.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_helpers import AS_OF, MODELS_ONLY, DbtRun, run_dbt

from tag_warehouse import clv
from tag_warehouse.devtools.generate import generate, write

AS_OF_DATE = dt.date.fromisoformat(AS_OF)
MARTS = (
    "customer_tags_basic",
    "customer_tags_behavior",
    "customer_tags_value",
    "customer_tags_preference",
    "customer_tags_lifecycle",
    "customer_tags_service",
)
# Content hash of generate(58, 1, AS_OF, 0.05), computed on the generator before
# spend_mix existed: the default output must not move (other tests pin it).
STANDARD_58_SHA256 = "b013ca49d9fd6247deb6ba5e3b761d27ee3bd8805ea1148101e0f65289d9c3a8"


def summary_of(customers: int, seed: int, spend_mix: str) -> pd.DataFrame:
    """The CLV summary of a clean generated base, as the warehouse computes it."""
    orders = generate(customers, seed, AS_OF_DATE, 0.0, spend_mix=spend_mix)
    frame = orders["orders"].to_pandas()
    frame = frame[frame["status"] == "completed"]
    return clv.summarise_transactions(
        frame, "customer_id", "order_date", "amount", AS_OF
    )


@pytest.fixture(scope="module")
def mixed_summary() -> pd.DataFrame:
    return summary_of(300, 1, "b2c_b2b")


@pytest.fixture(scope="module")
def tiny_summary() -> pd.DataFrame:
    return summary_of(58, 1, "standard")


# --------------------------------------------------------------------------- #
# Generator
# --------------------------------------------------------------------------- #


def test_standard_generator_output_is_unchanged() -> None:
    digest = hashlib.sha256()
    for name, table in generate(58, 1, AS_OF_DATE, 0.05).items():
        for column in table.column_names:
            values = table.column(column).to_pylist()
            digest.update(json.dumps([name, column, values]).encode())
    assert digest.hexdigest() == STANDARD_58_SHA256


def test_b2c_b2b_mix_has_consumers_and_business_accounts_apart() -> None:
    tables = generate(2000, 3, AS_OF_DATE, 0.0, spend_mix="b2c_b2b")
    customers = tables["customers"].to_pandas()
    orders = tables["orders"].to_pandas().merge(customers, on="customer_id")
    amount = orders["amount"].astype(float)
    median = amount.groupby(orders["customer_type"]).median()
    assert (customers["customer_type"] == "individual").mean() > 0.8
    assert 100 < median["individual"] < 1000  # a few hundred
    assert median["enterprise"] > 10_000 and median["government"] > 10_000
    with pytest.raises(ValueError, match="spend_mix"):
        generate(10, 1, AS_OF_DATE, 0.0, spend_mix="b2b")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- #
# Failed-fit detection and the spend remedy (tag_warehouse.clv)
# --------------------------------------------------------------------------- #


def test_a_parameter_on_the_search_bound_is_a_failed_fit() -> None:
    # The minimum of sum(log-params) lies beyond the box: the optimiser stops on it.
    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        return float(log_params.sum()), np.ones_like(log_params)

    with pytest.raises(clv.ClvFitError, match="Test fit failed: 2 parameter.*bound"):
        clv._minimise("Test", objective, np.zeros(2), 100)


def test_q_at_most_one_fails_without_a_remedy(mixed_summary: pd.DataFrame) -> None:
    repeat = mixed_summary[mixed_summary["frequency"] > 0]
    with pytest.raises(clv.ClvFitError, match=r"q = 0\.\d+ <= 1"):  # today's fit
        clv.fit_gamma_gamma(repeat["frequency"], repeat["monetary_value"])
    outcome = clv.fit_gamma_gamma_robust(
        repeat["frequency"], repeat["monetary_value"], remedy="none"
    )
    assert (outcome.status, outcome.spend_remedy, outcome.fit) == (
        "failed",
        "none",
        None,
    )
    assert "q = " in outcome.reason and "<= 1" in outcome.reason


def test_winsorising_rescues_the_mixed_spend(mixed_summary: pd.DataFrame) -> None:
    repeat = mixed_summary[mixed_summary["frequency"] > 0]
    outcome = clv.fit_gamma_gamma_robust(repeat["frequency"], repeat["monetary_value"])
    assert outcome.status == "fitted" and outcome.fit is not None
    assert outcome.spend_remedy == "winsorised"
    assert outcome.fit.params["q"] > 1
    quantile = outcome.spend_cap_quantile
    assert quantile in clv.DEFAULT_WINSORISE_QUANTILES
    # The mildest cap that fits: every milder one was tried and failed.
    spend = repeat["monetary_value"].to_numpy()
    assert outcome.spend_cap == pytest.approx(np.quantile(spend, quantile))
    for milder in [q for q in clv.DEFAULT_WINSORISE_QUANTILES if q > quantile]:
        capped = np.minimum(spend, np.quantile(spend, milder))
        with pytest.raises(clv.ClvFitError):
            clv.fit_gamma_gamma(repeat["frequency"], capped)
    # A ladder too mild to help: failed, naming every quantile tried.
    failed = clv.fit_gamma_gamma_robust(
        repeat["frequency"], repeat["monetary_value"], quantiles=(0.99, 0.95)
    )
    assert failed.status == "failed" and "quantiles 0.99, 0.95" in failed.reason


def test_spend_that_fits_as_it_is_is_not_winsorised() -> None:
    summary = summary_of(2000, 7, "standard")
    fits = clv.fit_clv_models(summary, 3.0, "week")
    assert [fits[m].status for m in clv.LTV_MODELS] == ["fitted", "fitted"]
    assert fits["gamma_gamma"].spend_remedy == "none"
    assert fits["gamma_gamma"].spend_cap is None
    assert fits["bgnbd"].spend_remedy == "not_applicable"


def test_non_finite_predictions_fail_the_purchase_model(
    tiny_summary: pd.DataFrame,
) -> None:
    # 58 customers: BG/NBD's a and b run off towards infinity; today its
    # predictions come out -inf.
    raw = clv.fit_bgnbd(
        tiny_summary["frequency"], tiny_summary["recency"], tiny_summary["T"]
    )
    assert raw.params["a"] > 1e4 and raw.params["b"] > 1e6
    fits = clv.fit_clv_models(tiny_summary, 3.0, "week")
    bgnbd = fits["bgnbd"]
    assert (bgnbd.status, bgnbd.fit) == ("failed", None)
    assert "degenerate" in bgnbd.reason and "non-finite" in bgnbd.reason
    assert fits["gamma_gamma"].status == "fitted"


def test_too_little_data_is_a_failed_fit_not_an_exception() -> None:
    empty = clv.fit_clv_models(
        pd.DataFrame(columns=list(clv.SUMMARY_COLUMNS)), 3.0, "week"
    )
    assert {m: f.status for m, f in empty.items()} == {
        "bgnbd": "failed",
        "gamma_gamma": "failed",
    }
    assert "nothing to fit" in empty["bgnbd"].reason
    one_timers = pd.DataFrame(
        {"frequency": 0.0, "recency": 0.0, "T": [5.0, 9.0], "monetary_value": 0.0}
    )
    fits = clv.fit_clv_models(one_timers, 3.0, "week")
    assert "no customer has a repeat purchase" in fits["bgnbd"].reason
    assert "at least 2 repeat buyers" in fits["gamma_gamma"].reason


# --------------------------------------------------------------------------- #
# End to end: dbt builds
# --------------------------------------------------------------------------- #


def raw_dir(root: Path, customers: int, seed: int, spend_mix: str) -> Path:
    path = root / "raw"
    path.mkdir(parents=True)
    tables = generate(customers, seed, AS_OF_DATE, 0.0, spend_mix=spend_mix)
    write(tables, path, "parquet")
    return path


def fit_table(run: DbtRun) -> pd.DataFrame:
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        return con.sql("select * from intermediate.int_clv_models_fitted").df()


def quality_table(run: DbtRun) -> pd.DataFrame:
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        return con.sql("select * from marts.clv_model_quality").df()


def marts(run: DbtRun) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        return {
            mart: con.sql(f"select * from marts.{mart}")
            .df()
            .set_index("customer_id")
            .sort_index()
            for mart in MARTS
        }


# The tag marts with everything upstream, and the CLV backtest: models only.
MARTS_AND_BACKTEST = [
    "--select",
    *(f"+{mart}" for mart in MARTS),
    "+clv_model_quality",
    *MODELS_ONLY,
]
# The SQL scoring models, and the summaries they must not read when disabled.
SCORERS = (
    "int_customers_ltv_predicted",
    "int_customers_p_alive_predicted",
    "int_clv_purchases_if_alive",
)
SUMMARIES = {"int_customers_clv_summarised", "int_clv_purchases_grouped"}
# The data tests that warn on a failed fit (or fail, at severity error).
FIT_TESTS = ["--select", "clv_model_fit_failed", "clv_model_quality_fit_failed"]


def build_with_fit_tests(workdir: Path, raw: Path) -> DbtRun:
    """The marts and the backtest, then the fit tests (the other data tests run in
    the session builds)."""
    models = run_dbt(["build", *MARTS_AND_BACKTEST], workdir, raw)
    if not models.success:
        return models
    tests = run_dbt(["test", *FIT_TESTS], workdir, raw)
    messages = models.messages + tests.messages
    return DbtRun(tests.success, messages, tests.db_path, tests.target_path)


@pytest.fixture(scope="module")
def mixed_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    root = tmp_path_factory.mktemp("mixed")
    return build_with_fit_tests(root / "work", raw_dir(root, 300, 1, "b2c_b2b"))


@pytest.fixture(scope="module")
def tiny_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return raw_dir(tmp_path_factory.mktemp("tiny"), 58, 1, "standard")


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory: pytest.TempPathFactory, tiny_raw: Path) -> DbtRun:
    return build_with_fit_tests(tmp_path_factory.mktemp("tiny_work"), tiny_raw)


def test_mixed_base_fills_ltv_for_every_customer_with_a_valid_order(
    mixed_build: DbtRun,
) -> None:
    assert mixed_build.success, mixed_build.log
    fits = fit_table(mixed_build)
    assert set(fits["status"]) == {"fitted"}
    assert set(fits["model"]) == {"bgnbd", "gamma_gamma", "mbgnbd"}
    spend = fits[fits["model"] == "gamma_gamma"].set_index("parameter")
    assert set(spend["spend_remedy"]) == {"winsorised"}
    assert spend.loc["q", "value"] > 1
    assert (
        spend["spend_cap"].notna().all() and spend["spend_cap_quantile"].notna().all()
    )
    tags = marts(mixed_build)
    customers = mixed_build.scalar("select count(*) from staging.stg_crm__customers")
    assert all(len(frame) == customers for frame in tags.values())
    value = tags["customer_tags_value"]
    assert value["predicted_ltv"].notna().all()
    assert set(value["ltv"]) <= {"high", "medium", "low"}
    # Business accounts keep their own spend: they are the high-value customers.
    assert (value["ltv"] == "high").sum() > 0


def test_a_failed_fit_only_makes_ltv_unknown_and_warns(
    tiny_build: DbtRun, tiny_raw: Path, tmp_path: Path
) -> None:
    assert tiny_build.success, tiny_build.log
    assert "clv_model_fit_failed" in tiny_build.log
    assert "Warning in test clv_model_fit_failed" in tiny_build.log
    fits = fit_table(tiny_build).set_index("model")
    assert fits.loc["bgnbd", "status"] == "failed"
    assert pd.isna(fits.loc["bgnbd", "parameter"])
    assert "non-finite" in fits.loc["bgnbd", "reason"]
    # The holdout backtest fails the same purchase models on the calibration
    # orders: one row each with the reason, the spend model is still scored.
    quality = quality_table(tiny_build)
    status = quality.groupby("model")["status"].agg(set).to_dict()
    assert status == {
        "bgnbd": {"failed"},
        "gamma_gamma": {"fitted"},
        "mbgnbd": {"failed"},
    }
    failed = quality[quality["status"] == "failed"]
    assert len(failed) == 2 and failed["measure"].isna().all()
    assert failed["reason"].str.contains("fit failed").all()
    assert "Warning in test clv_model_quality_fit_failed" in tiny_build.log
    tags = marts(tiny_build)
    assert set(tags["customer_tags_value"]["ltv"]) == {"unknown"}
    assert tags["customer_tags_value"]["predicted_ltv"].isna().all()
    # Every other tag is what a build without LTV and without MBG/NBD gives: the
    # MBG/NBD (p_alive, churn_risk) stands apart from the LTV both ways.
    without = run_dbt(
        ["build", *MARTS_AND_BACKTEST],
        tmp_path,
        tiny_raw,
        extra_vars={"ltv_enabled": False, "churn_risk_enabled": False},
        artifacts=True,
    )
    assert without.success, without.log
    disabled = fit_table(without).set_index("model")
    assert set(disabled["status"]) == {"disabled"}
    assert disabled.loc["mbgnbd", "reason"] == "var churn_risk_enabled is false"
    backtest = quality_table(without).set_index("model")
    assert set(backtest["status"]) == {"disabled"} and len(backtest) == 3
    assert backtest.loc["gamma_gamma", "reason"] == "var ltv_enabled is false"
    # The SQL scorers read no summary when both models are off.
    manifest = json.loads((without.target_path / "manifest.json").read_text())
    for scorer in SCORERS:
        node = manifest["nodes"][f"model.customer_tags.{scorer}"]
        read = {ref.rsplit(".", 1)[-1] for ref in node["depends_on"]["nodes"]}
        assert not read & SUMMARIES, (scorer, read)
    churn = ["p_alive", "churn_risk"]
    off = marts(without)
    assert set(off["customer_tags_value"]["churn_risk"]) == {"unknown"}
    assert off["customer_tags_value"]["p_alive"].isna().all()
    for mart, frame in off.items():
        kept = [column for column in frame.columns if column not in churn]
        pd.testing.assert_frame_equal(frame[kept], tags[mart][kept], check_dtype=False)


def test_a_failed_fit_fails_the_build_when_the_severity_is_error(
    tiny_build: DbtRun, tiny_raw: Path, tmp_path: Path
) -> None:
    shutil.copy(tiny_build.db_path, tmp_path / "warehouse.duckdb")
    run = run_dbt(
        ["build", "--select", "int_clv_models_fitted"],
        tmp_path,
        tiny_raw,
        extra_vars={"clv_fit_failure_severity": "error"},
    )
    assert not run.success
    assert "Failure in test clv_model_fit_failed" in run.log


def test_bad_clv_vars_stop_before_any_sql(tiny_raw: Path, tmp_path: Path) -> None:
    variables: dict[str, Any] = {
        "clv_fit_failure_severity": "fatal",
        "ltv_spend_remedy": "cap",
        "ltv_winsorise_quantiles": [0.99, 0.3],
    }
    run = run_dbt(
        ["run", "--select", "stg_crm__customers"],
        tmp_path,
        tiny_raw,
        extra_vars=variables,
        stops_at_var_check=True,
    )
    assert not run.success
    assert "clv_fit_failure_severity must be warn or error, got 'fatal'" in run.log
    assert "ltv_spend_remedy must be none or winsorise, got 'cap'" in run.log
    assert "ltv_winsorise_quantiles must be a list of numbers" in run.log


def test_bad_segment_vars_stop_before_any_sql(tiny_raw: Path, tmp_path: Path) -> None:
    """The vars of rfm_segment and churn_risk (spec 3.1, 3.2) are checked with the
    others: choices, booleans, whole numbers, bounds and the band order; so is the
    lint's switch."""
    variables: dict[str, Any] = {
        "churn_risk_enabled": "yes",
        "rfm_segment_single_order_as_new": 1,
        "rfm_segment_cut": "quartile",
        "rfm_segment_r_days": 2.5,
        "rfm_segment_m_amount": -1,
        "churn_risk_high_below": 0.8,
        "churn_risk_medium_below": 0.7,
        "lint_short_parsers": "True",
    }
    run = run_dbt(
        ["run", "--select", "stg_crm__customers"],
        tmp_path,
        tiny_raw,
        extra_vars=variables,
        stops_at_var_check=True,
    )
    assert not run.success
    for message in (
        "churn_risk_enabled must be true or false, got 'yes'",
        "rfm_segment_single_order_as_new must be true or false, got '1'",
        "rfm_segment_cut must be mean, median or fixed, got 'quartile'",
        "rfm_segment_r_days must be a whole number, got 2.5",
        "rfm_segment_m_amount must be between 0 and 1000000000000, got -1",
        "churn_risk_high_below (0.8) must be below churn_risk_medium_below (0.7)",
        "lint_short_parsers must be true or false, got 'True'",
    ):
        assert message in run.log, message
