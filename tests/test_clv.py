"""Tests of tag_warehouse.clv (BG/NBD + Gamma-Gamma) and scripts/fit_clv.py.

Reference point (not testable here, no CDNOW data in the repo): on the CDNOW
sample (2357 customers, 39-week calibration, weekly units) Fader, Hardie & Lee
(2005) report r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 and
LL = -9582.4; ``fit_bgnbd`` on that data should reproduce them.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType

import duckdb
import numpy as np
import pandas as pd
import pytest
from clv_simulation import SimulatedCustomers, simulate_customers
from dbt_helpers import DbtRun
from scipy import integrate, special, stats

from tag_warehouse import clv
from tag_warehouse.clv import quality as clv_quality

REPO = Path(__file__).resolve().parents[1]
BGNBD_TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
GG_TRUTH = {"p": 6.0, "q": 4.0, "gamma": 15.0}
PARAMS = (0.5, 3.0, 0.9, 2.2)  # (r, alpha, a, b) for the closed-form checks


# --------------------------------------------------------------------------- #
# Hand-written closed forms
# --------------------------------------------------------------------------- #


def bgnbd_ll_by_hand(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float
) -> float:
    """FHL 2005 eq. 6 written out directly: ln[A1 * A2 * (A3 + [x>0] A4)]."""
    a1 = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    a2 = math.exp(
        math.lgamma(a + b)
        + math.lgamma(b + x)
        - math.lgamma(b)
        - math.lgamma(a + b + x)
    )
    a3 = (alpha + T) ** -(r + x)
    a4 = a / (b + x - 1) * (alpha + t_x) ** -(r + x) if x > 0 else 0.0
    return math.log(a1 * a2 * (a3 + a4))


def bgnbd_ll_by_integration(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float
) -> float:
    """Integrate the individual likelihood over lambda ~ Gamma, p ~ Beta.

    L(lambda, p) = (1-p)^x lambda^x e^(-lambda T)
                   + [x>0] p (1-p)^(x-1) lambda^x e^(-lambda t_x)
    """
    lam = stats.gamma(r, scale=1.0 / alpha)
    drop = stats.beta(a, b)

    def expect_lambda(age: float) -> float:
        return integrate.quad(lambda v: v**x * math.exp(-v * age) * lam.pdf(v), 0, 50)[
            0
        ]

    def expect_p(f: object) -> float:
        return integrate.quad(lambda u: f(u) * drop.pdf(u), 0, 1)[0]  # type: ignore[operator]

    total = expect_lambda(T) * expect_p(lambda u: (1 - u) ** x)
    if x > 0:
        total += expect_lambda(t_x) * expect_p(lambda u: u * (1 - u) ** (x - 1))
    return math.log(total)


def gg_ll_by_hand(p: float, q: float, gamma: float, x: int, m: float) -> float:
    """Fader & Hardie's Gamma-Gamma density of the mean spend m over x purchases."""
    dens = (
        math.exp(math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q))
        * gamma**q
        * m ** (p * x - 1)
        * x ** (p * x)
        / (gamma + m * x) ** (p * x + q)
    )
    return math.log(dens)


def bgnbd_expected_by_hand(
    r: float, alpha: float, a: float, b: float, t: float, x: int, t_x: float, T: float
) -> float:
    """FHL 2005 eq. 10 evaluated literally (fine for moderate x)."""
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    numerator = (a + b + x - 1) / (a - 1) * bracket
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x else 0.0
    return numerator / (1 + odds)


# --------------------------------------------------------------------------- #
# Log-likelihoods
# --------------------------------------------------------------------------- #

CUSTOMERS = [(0, 0.0, 10.0), (3, 6.0, 10.0), (1, 2.5, 4.0)]


def test_bgnbd_log_likelihood_matches_closed_form() -> None:
    x, t_x, T = map(np.array, zip(*CUSTOMERS, strict=True))
    got = clv.bgnbd_log_likelihood(PARAMS, x, t_x, T)
    expected = [bgnbd_ll_by_hand(*PARAMS, *c) for c in CUSTOMERS]
    assert got == pytest.approx(expected, rel=1e-10)
    # x == 0 reduces to r ln(alpha / (alpha + T)).
    r, alpha = PARAMS[:2]
    assert got[0] == pytest.approx(r * math.log(alpha / (alpha + 10.0)), rel=1e-12)


def test_bgnbd_log_likelihood_matches_model_definition() -> None:
    params = (1.5, 3.0, 1.3, 2.2)  # shapes > 1: smooth integrands for quad
    got = clv.bgnbd_log_likelihood(params, *map(np.array, zip(*CUSTOMERS, strict=True)))
    expected = [bgnbd_ll_by_integration(*params, *c) for c in CUSTOMERS]
    assert got == pytest.approx(expected, rel=1e-6)


def test_bgnbd_log_likelihood_is_finite_for_extreme_customers() -> None:
    ll = clv.bgnbd_log_likelihood(
        PARAMS, [5000, 5000, 0], [5.0, 1e5, 0.0], [1e5, 1e5, 1e6]
    )
    assert np.all(np.isfinite(ll))


def test_gamma_gamma_log_likelihood_matches_closed_form() -> None:
    params = (6.0, 4.0, 15.0)
    x, m = np.array([1, 4, 2]), np.array([12.5, 30.0, 7.25])
    got = clv.gamma_gamma_log_likelihood(params, x, m)
    assert got == pytest.approx(
        [
            gg_ll_by_hand(*params, int(xi), float(mi))
            for xi, mi in zip(x, m, strict=True)
        ],
        rel=1e-10,
    )


def test_gamma_gamma_density_integrates_to_one() -> None:
    params = {"p": 3.0, "q": 4.0, "gamma": 10.0}
    for x in (1, 5):

        def density(m: float, x: int = x) -> float:
            return math.exp(clv.gamma_gamma_log_likelihood(params, x, m)[()])

        assert integrate.quad(density, 0, np.inf)[0] == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("model", ["bgnbd", "gamma_gamma"])
def test_fit_objective_value_and_gradient(model: str) -> None:
    """The factorised, weighted objective equals -mean(per-customer LL) and its
    analytic gradient matches central finite differences."""
    sim = simulate_customers(1000, seed=3)
    summary = clv.summarise_transactions(
        sim.transactions, "customer_id", "order_date", "amount", sim.calibration_end
    )
    x, t_x, T, m = (summary[c].to_numpy() for c in clv.SUMMARY_COLUMNS)
    if model == "bgnbd":
        rows, weights, _ = clv._collapse_rows(x, t_x, T)
        data = clv._BgnbdData.from_rows(*rows, weights)
        assert weights.max() > 1  # day-level summaries do have duplicate rows

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            return clv._bgnbd_negll_and_grad(theta, data)

        def public(theta: np.ndarray) -> np.ndarray:
            return clv.bgnbd_log_likelihood(np.exp(theta), x, t_x, T)

        theta = np.log([0.4, 3.0, 0.7, 2.0])
    else:
        keep = x > 0
        rows, weights, _ = clv._collapse_rows(x[keep], m[keep])
        data_gg = clv._GammaGammaData.from_rows(*rows, weights)

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            return clv._gamma_gamma_negll_and_grad(theta, data_gg)

        def public(theta: np.ndarray) -> np.ndarray:
            return clv.gamma_gamma_log_likelihood(np.exp(theta), x[keep], m[keep])

        theta = np.log([4.0, 3.0, 12.0])
    value, grad = objective(theta)
    assert value == pytest.approx(-public(theta).mean(), rel=1e-12)
    h = 1e-6
    numeric = [
        (objective(theta + h * e)[0] - objective(theta - h * e)[0]) / (2 * h)
        for e in np.eye(theta.size)
    ]
    assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-8)


# --------------------------------------------------------------------------- #
# Conditional expectations
# --------------------------------------------------------------------------- #


def test_expected_purchases_and_prob_alive_match_closed_form() -> None:
    r, alpha, a, b = PARAMS
    for x, t_x, T in CUSTOMERS:
        got = clv.bgnbd_expected_purchases(PARAMS, 26.0, x, t_x, T)
        assert got == pytest.approx(
            bgnbd_expected_by_hand(*PARAMS, 26.0, x, t_x, T), rel=1e-9
        )
        odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x else 0
        assert clv.bgnbd_prob_alive(PARAMS, x, t_x, T) == pytest.approx(1 / (1 + odds))


def bgnbd_expected_by_integration(
    r: float, alpha: float, a: float, b: float, t: float, x: int, t_x: float, T: float
) -> float:
    """E[Y(t) | x, t_x, T] from the model definition, independent of eq. 10.

    A customer alive at T buys (1 - exp(-lambda p t)) / p times in expectation
    (FHL eq. 7); weight it by P(data, alive | lambda, p) = (1-p)^x lambda^x
    e^(-lambda T), integrate lambda out in closed form and p numerically
    (quad's algebraic weight handles the Beta density), divide by the marginal
    likelihood.
    """
    scale = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r

    def integrand(p: float) -> float:
        if p == 0.0:  # limit of the expression below
            return scale * (r + x) * t * (alpha + T) ** -(r + x + 1)
        gap = (alpha + T) ** -(r + x) - (alpha + T + p * t) ** -(r + x)
        return (1 - p) ** x * scale * gap / p

    numerator = integrate.quad(integrand, 0, 1, weight="alg", wvar=(a - 1, b - 1))[0]
    numerator /= special.beta(a, b)
    return numerator / math.exp(bgnbd_ll_by_hand(r, alpha, a, b, x, t_x, T))


@pytest.mark.parametrize(
    "params",
    [PARAMS, (0.25, 4.0, 0.23, 0.51), (0.5, 3.0, 1.7, 2.2), (2.0, 10.0, 3.0, 8.0)],
    ids=["a<1", "a+b<1", "a>1", "large-shapes"],
)
def test_expected_purchases_match_model_definition(
    params: tuple[float, float, float, float],
) -> None:
    for x, t_x, T in CUSTOMERS:
        got = clv.bgnbd_expected_purchases(params, 30.0, x, t_x, T)
        expected = bgnbd_expected_by_integration(*params, 30.0, x, t_x, T)
        assert got == pytest.approx(expected, rel=1e-7)


def test_expected_purchases_with_a_greater_than_one_and_near_one() -> None:
    for params in [(0.5, 3.0, 1.7, 2.2), (0.5, 3.0, 1.0 + 1e-4, 2.2)]:
        got = clv.bgnbd_expected_purchases(params, 52.0, 2, 5.0, 20.0)
        expected = bgnbd_expected_by_hand(*params, 52.0, 2, 5.0, 20.0)
        assert got == pytest.approx(expected, rel=1e-6)
    exact_one = clv.bgnbd_expected_purchases((0.5, 3.0, 1.0, 2.2), 52.0, 2, 5.0, 20.0)
    assert exact_one == pytest.approx(expected, rel=1e-3)


def test_expected_purchases_stable_for_large_frequency() -> None:
    x = np.array([500.0, 500.0, 2000.0])
    t_x = np.array([51.9, 5.0, 1e4])
    T = np.array([52.0, 52.0, 1e4])
    got = clv.bgnbd_expected_purchases(PARAMS, 52.0, x, t_x, T)
    alive = clv.bgnbd_prob_alive(PARAMS, x, t_x, T)
    assert np.all(np.isfinite(got)) and np.all(got >= 0)
    assert alive[1] < 1e-100  # 500 purchases, then 47 silent weeks: gone
    # Alive and recent: close to the posterior mean rate (r+x)/(alpha+T) times t,
    # damped by the drop-out risk.
    assert 0.5 * (PARAMS[0] + 500) / (PARAMS[1] + 52) * 52 < got[0] < 520


def test_gamma_gamma_conditional_mean() -> None:
    params = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    got = clv.gamma_gamma_conditional_mean(params, [0, 3], [0.0, 20.0])
    assert got == pytest.approx([6 * 15 / 3, (15 + 60) * 6 / (18 + 3)])


# --------------------------------------------------------------------------- #
# Summary
# --------------------------------------------------------------------------- #


def test_summarise_transactions_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "cust": ["A", "A", "A", "A", "B", "A", "C"],
            "ts": [
                "2024-01-01 09:00",
                "2024-01-01 17:30",  # same day: merged with the first order
                "2024-01-08",
                "2024-01-22",
                "2024-01-15",
                "2024-02-10",  # after calibration end: ignored
                "2024-03-01",  # customer only after calibration end: absent
            ],
            "amt": [10.0, 5.0, 20.0, 30.0, 7.0, 99.0, 1.0],
        }
    )
    weeks = clv.summarise_transactions(tx, "cust", "ts", "amt", "2024-01-29")
    assert list(weeks.index) == ["A", "B"]
    assert weeks.loc["A"].to_dict() == {
        "frequency": 2.0,
        "recency": 3.0,
        "T": 4.0,
        "monetary_value": 25.0,
    }
    assert weeks.loc["B"].to_dict() == {
        "frequency": 0.0,
        "recency": 0.0,
        "T": 2.0,
        "monetary_value": 0.0,
    }
    assert weeks.attrs["n_transactions"] == 5
    days = clv.summarise_transactions(tx, "cust", "ts", "amt", "2024-01-29", "day")
    assert days.loc["A", "T"] == 28.0 and days.loc["A", "recency"] == 21.0


def test_summarise_defaults_calibration_end_and_reports_missing_column() -> None:
    tx = pd.DataFrame({"c": [1, 1], "d": ["2024-01-01", "2024-01-15"], "v": [1, 2]})
    summary = clv.summarise_transactions(tx, "c", "d", "v", None)
    assert summary.attrs["calibration_end"] == "2024-01-15"
    with pytest.raises(clv.ClvInputError, match="'amount'.*available columns: c, d, v"):
        clv.summarise_transactions(tx, "c", "d", "amount", None)
    bad = tx.assign(d=["2024-01-01", "not a date"])
    with pytest.raises(clv.ClvInputError, match="'d'"):
        clv.summarise_transactions(bad, "c", "d", "v", None)


def test_summary_matches_simulated_statistics() -> None:
    sim = simulate_customers(2000, seed=11)
    summary = clv.summarise_transactions(
        sim.transactions, "customer_id", "order_date", "amount", sim.calibration_end
    ).sort_index()
    # Day-level discretisation can only merge purchases and shift times by < 1 day.
    assert (summary["frequency"].to_numpy() <= sim.frequency).all()
    assert np.mean(summary["frequency"].to_numpy() == sim.frequency) > 0.97
    assert np.abs(summary["T"].to_numpy() - sim.T).max() <= 1 / 7 + 1e-9


# --------------------------------------------------------------------------- #
# Fitting: recovery and holdout
# --------------------------------------------------------------------------- #

# Tolerances were chosen from 40 seeds of 4000 customers (worst relative errors:
# r 8%, alpha 18%, a 64%, b 87%, p 32%, q 16%, gamma 41%). a and b are weakly
# identified individually -- one year of data shows few drop-outs, and mostly
# their ratio (mean drop-out probability a/(a+b), worst error 20%) is pinned
# down; likewise p and gamma trade off against each other while the mean spend
# p*gamma/(q-1) is tight (worst 5%).
RECOVERY_TOLERANCE = {
    "r": 0.3,
    "alpha": 0.3,
    "a": 1.0,
    "b": 1.2,
    "p": 0.5,
    "q": 0.3,
    "gamma": 0.6,
}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parameter_recovery(seed: int) -> None:
    sim = simulate_customers(4000, seed=seed, **BGNBD_TRUTH, **GG_TRUTH)
    bgnbd = clv.fit_bgnbd(sim.frequency, sim.recency, sim.T)
    gg = clv.fit_gamma_gamma(sim.frequency, sim.monetary_value)
    assert bgnbd.converged and gg.converged
    assert bgnbd.n_customers == 4000 and gg.n_customers == (sim.frequency > 0).sum()
    estimates = {**bgnbd.params, **gg.params}
    truth = {**BGNBD_TRUTH, **GG_TRUTH}
    for name, tolerance in RECOVERY_TOLERANCE.items():
        assert estimates[name] == pytest.approx(truth[name], rel=tolerance), name
    est = bgnbd.params
    assert est["a"] / (est["a"] + est["b"]) == pytest.approx(0.8 / 3.3, rel=0.3)
    spend = gg.params["p"] * gg.params["gamma"] / (gg.params["q"] - 1)
    assert spend == pytest.approx(30.0, rel=0.1)
    # The reported total log-likelihood is the sum of the per-customer ones.
    ll = clv.bgnbd_log_likelihood(est, sim.frequency, sim.recency, sim.T).sum()
    assert bgnbd.log_likelihood == pytest.approx(ll, rel=1e-12)


def test_fit_is_at_a_maximum() -> None:
    sim = simulate_customers(3000, seed=5)
    fit = clv.fit_bgnbd(sim.frequency, sim.recency, sim.T)
    best = np.array(list(fit.params.values()))
    for factor in (0.98, 1.02):
        for i in range(4):
            moved = best.copy()
            moved[i] *= factor
            ll = clv.bgnbd_log_likelihood(moved, sim.frequency, sim.recency, sim.T)
            assert ll.sum() < fit.log_likelihood


@pytest.fixture(scope="module")
def holdout_sim() -> SimulatedCustomers:
    return simulate_customers(20000, seed=101, holdout_weeks=52.0)


def test_holdout_purchases_are_predicted(holdout_sim: SimulatedCustomers) -> None:
    # Across 30 seeds of 20000 customers the predicted/actual ratio stayed in
    # [0.96, 1.07]: 10% leaves room for estimation and sampling noise.
    sim = holdout_sim
    fit = clv.fit_bgnbd(sim.frequency, sim.recency, sim.T)
    predicted = clv.bgnbd_expected_purchases(
        fit.params, 52.0, sim.frequency, sim.recency, sim.T
    )
    assert predicted.sum() == pytest.approx(sim.holdout_purchases.sum(), rel=0.1)


def test_fit_and_predict_end_to_end_holdout(holdout_sim: SimulatedCustomers) -> None:
    sim = holdout_sim
    tx = sim.transactions
    horizon_years = 52 * 7 / 365.25
    predictions, fits = clv.fit_and_predict(
        tx, calibration_end=sim.calibration_end, horizon_years=horizon_years
    )
    assert [f.model for f in fits] == ["bgnbd", "gamma_gamma"]
    # Through the day-level summary (same-day purchases merged, times rounded to
    # days) 12 seeds gave predicted/actual in [0.96, 1.10] for purchase days and
    # [0.97, 1.11] for spend (spend adds Gamma-Gamma noise): 15% / 20% margins.
    holdout = tx[tx["order_date"] > sim.calibration_end]
    actual_days = len(holdout.drop_duplicates(["customer_id", "order_date"]))
    assert predictions["expected_purchases"].sum() == pytest.approx(
        actual_days, rel=0.15
    )
    actual_spend = holdout["amount"].sum()
    assert predictions["predicted_ltv"].sum() == pytest.approx(actual_spend, rel=0.2)
    assert set(predictions.columns) >= {
        "customer_id",
        "expected_purchases",
        "expected_spend_per_purchase",
        "predicted_ltv",
        "prob_alive",
    }


# --------------------------------------------------------------------------- #
# Prediction with discounting
# --------------------------------------------------------------------------- #


def test_predict_ltv_discounting_matches_monthly_sum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # exercise the chunk loop (predict_ltv reads the constant of clv.predict)
    monkeypatch.setattr(clv.predict, "DISCOUNT_CHUNK_ROWS", 1)
    summary = pd.DataFrame(
        {
            "frequency": [0.0, 4.0],
            "recency": [0.0, 30.0],
            "T": [40.0, 45.0],
            "monetary_value": [0.0, 25.0],
        },
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    bgnbd = clv.FitResult(
        "bgnbd", dict(zip(clv.BGNBD_PARAM_NAMES, PARAMS, strict=True)), 0, 0, True, 2
    )
    gg = clv.FitResult(
        "gamma_gamma", {"p": 6.0, "q": 4.0, "gamma": 15.0}, 0, 0, True, 1
    )
    horizon = 1.05  # 12 full months + a partial 13th step
    plain = clv.predict_ltv(summary, bgnbd, gg, horizon, "week")
    spend = plain["expected_spend_per_purchase"]
    assert plain["predicted_ltv"].to_numpy() == pytest.approx(
        (plain["expected_purchases"] * spend).to_numpy()
    )
    rate = 0.1
    discounted = clv.predict_ltv(summary, bgnbd, gg, horizon, "week", rate)
    years = np.minimum(np.arange(1, 14) / 12, horizon)
    for i, (x, t_x, T) in enumerate(summary[["frequency", "recency", "T"]].to_numpy()):
        cumulative = [
            clv.bgnbd_expected_purchases(PARAMS, y * 365.25 / 7, x, t_x, T)
            for y in years
        ]
        increments = np.diff(cumulative, prepend=0.0)
        expected = float(increments @ (1 + rate) ** -years) * spend.iloc[i]
        assert discounted["predicted_ltv"].iloc[i] == pytest.approx(expected, rel=1e-9)
    assert (discounted["predicted_ltv"] < plain["predicted_ltv"]).all()
    assert discounted["expected_purchases"].equals(plain["expected_purchases"])
    days = summary.assign(recency=summary["recency"] * 7, T=summary["T"] * 7)
    bgnbd_days = clv.FitResult(
        "bgnbd", {**bgnbd.params, "alpha": PARAMS[1] * 7}, 0, 0, True, 2
    )
    in_days = clv.predict_ltv(days, bgnbd_days, gg, horizon, "day", rate)
    assert in_days["predicted_ltv"].to_numpy() == pytest.approx(
        discounted["predicted_ltv"].to_numpy(), rel=1e-9
    )


# --------------------------------------------------------------------------- #
# Failures
# --------------------------------------------------------------------------- #


def test_gamma_gamma_without_repeat_buyers_raises() -> None:
    with pytest.raises(clv.ClvFitError, match="Gamma-Gamma.*repeat buyers"):
        clv.fit_gamma_gamma(np.zeros(50), np.zeros(50))


def test_bgnbd_without_repeat_buyers_raises() -> None:
    with pytest.raises(clv.ClvFitError, match="BG/NBD.*repeat purchase"):
        clv.fit_bgnbd(np.zeros(50), np.zeros(50), np.linspace(1, 50, 50))


def test_optimiser_failure_raises_with_model_and_message() -> None:
    sim = simulate_customers(2000, seed=4)
    with pytest.raises(clv.ClvFitError, match="BG/NBD fit failed.*ITERATIONS.*Try"):
        clv.fit_bgnbd(sim.frequency, sim.recency, sim.T, max_iterations=1)


def test_conditional_mean_requires_q_above_one() -> None:
    with pytest.raises(clv.ClvFitError, match="q > 1"):
        clv.gamma_gamma_conditional_mean((6.0, 0.9, 15.0), [1], [10.0])


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #


def load_cli() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fit_clv", REPO / "scripts/fit_clv.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cli() -> ModuleType:
    return load_cli()


@pytest.fixture
def transactions_csv(tmp_path: Path) -> Path:
    sim = simulate_customers(400, seed=7)
    path = tmp_path / "orders.csv"
    sim.transactions.assign(order_date=sim.transactions["order_date"].dt.date).to_csv(
        path, index=False
    )
    return path


def test_cli_prints_json(
    cli: ModuleType,
    transactions_csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "predictions.parquet"
    argv = [str(transactions_csv), "--calibration-end", "2020-12-29"]
    code = cli.main([*argv, "--predictions-out", str(out), "--discount-rate", "0.1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert report["calibration_end"] == "2020-12-29"
    assert report["unit"] == "week"
    assert report["n_customers"] == 400
    assert report["n_transactions"] == len(pd.read_csv(transactions_csv))
    for model, names in (("bgnbd", "r alpha a b"), ("gamma_gamma", "p q gamma")):
        assert set(report[model]["params"]) == set(names.split())
        assert report[model]["converged"] is True
        assert isinstance(report[model]["iterations"], int)
        assert math.isfinite(report[model]["log_likelihood"])
    predictions = pd.read_parquet(out)
    assert len(predictions) == 400
    assert (predictions["predicted_ltv"] >= 0).all()


def test_cli_missing_column_exits_2(
    cli: ModuleType, transactions_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main([str(transactions_csv), "--amount-col", "revenue"])
    err = capsys.readouterr().err
    assert code == 2
    assert "'revenue'" in err and "customer_id, order_date, amount" in err
    assert "Traceback" not in err and err.count("\n") == 1


HEADER = "customer_id,order_date,amount\n"


@pytest.mark.parametrize(
    ("content", "extra", "expected"),
    [
        (None, [], "file not found"),
        (HEADER + "1,yesterday,5\n", [], "'order_date'"),
        (
            HEADER + "1,2024-01-01,5\n",
            ["--calibration-end", "31/12/2024"],
            "2024-12-31",
        ),
        (HEADER + "1,2024-01-01,5\n", ["--predictions-out", "p.xlsx"], "'.xlsx'"),
    ],
    ids=[
        "missing-file",
        "bad-date",
        "bad-calibration-end",
        "bad-out",
    ],
)
def test_cli_user_errors_exit_2(
    cli: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    extra: list[str],
    expected: str,
) -> None:
    path = tmp_path / "orders.csv"
    if content is not None:
        path.write_text(content)
    assert cli.main([str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1


def test_cli_reports_a_failed_fit_as_json(
    cli: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "1,2024-01-01,5\n2,2024-01-02,3\n")  # no repeat buyer
    out = tmp_path / "predictions.csv"
    assert cli.main([str(path), "--predictions-out", str(out)]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["bgnbd"]["status"] == "failed"
    assert "repeat purchase" in report["bgnbd"]["reason"]
    assert report["gamma_gamma"]["status"] == "failed"
    assert report["predictions_out"] is None and not out.exists()
    assert "Traceback" not in captured.err and "not fitted" in captured.err
    assert cli.main([str(path), "--fail-on-failed-fit"]) == cli.FAILED_FIT_STATUS


def test_cli_reports_the_spend_remedy(
    cli: ModuleType, transactions_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(transactions_csv), "--spend-remedy", "none"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["gamma_gamma"]["status"] == "fitted"
    assert report["gamma_gamma"]["spend_remedy"] == "none"
    assert report["bgnbd"]["spend_remedy"] == "not_applicable"


# --------------------------------------------------------------------------- #
# clv_model_quality on the demo build (issue #18 item 3)
# --------------------------------------------------------------------------- #

# The project's defaults (dbt_project.yml) the demo build ran with.
HOLDOUT_DAYS = 90
QUALITY_KEY = ["model", "measure", "calibration_repeat_purchases"]
QUALITY_VALUES = ["customers", "model_value", "naive_value", "actual_value"]
# On the generated demo data BG/NBD must beat the naive past rate on MAE and
# stay within this factor of it on RMSE; both purchase models predict the holdout
# total within this share.
NAIVE_RMSE_FACTOR = 1.05
TOTAL_TOLERANCE = 0.2
# The build fits on grouped summaries with counts as weights, the oracle on each
# customer's summary: the same optimum, reached along another path, so the last
# digits differ. Gamma-Gamma's likelihood is flat near its optimum and moves its
# totals most: 5.6e-9 relative on the demo of 2026-12-03. The project's bound for
# fitted predictions is 1e-6 relative (docs/guarantees.md, issue 23).
QUALITY_RELATIVE = 1e-6


def test_clv_model_quality_is_holdout_quality_on_the_builds_orders(
    demo_build: DbtRun,
) -> None:
    """marts.clv_model_quality equals holdout_quality on the build's completed
    orders of clean customers (from staging) within QUALITY_RELATIVE; BG/NBD
    beats the naive baseline; the conditional expectation covers every customer."""
    with duckdb.connect(str(demo_build.db_path), read_only=True) as con:
        table = con.sql("select * from marts.clv_model_quality").df()
        [(as_of_date,)] = con.sql(
            "select max(as_of_date) from marts.clv_model_quality"
        ).fetchall()
        # Summed per day and ordered as the model reads them (the fits' input
        # row order moves the optimum in its last digits).
        orders = con.sql(
            "select orders.customer_id, orders.order_date, sum(orders.amount) as amount"
            " from staging.stg_crm__orders as orders"
            " inner join staging.stg_crm__customers using (customer_id)"
            f" where orders.is_completed and orders.order_date <= '{as_of_date}'"
            " group by all order by all"
        ).df()
    calibration_end = as_of_date - dt.timedelta(days=HOLDOUT_DAYS)
    assert set(table["as_of_date"].dt.date) == {as_of_date}
    assert set(table["calibration_end"].dt.date) == {calibration_end}
    assert set(table["horizon_days"]) == {HOLDOUT_DAYS}
    assert set(table["status"]) == {"fitted"}
    report = clv_quality.holdout_quality(
        orders, "customer_id", "order_date", "amount", calibration_end, HOLDOUT_DAYS
    )
    rows = pd.DataFrame(clv_quality.quality_rows(report))
    expected = rows.set_index(QUALITY_KEY).sort_index()
    actual = table.set_index(QUALITY_KEY).sort_index()
    assert list(actual.index) == list(expected.index)
    for column in QUALITY_VALUES:
        assert actual[column].to_numpy(float) == pytest.approx(
            expected[column].to_numpy(float),
            rel=QUALITY_RELATIVE,
            abs=1e-9,
            nan_ok=True,
        ), column
    measures = actual["model_value"]
    naive = actual["naive_value"]
    assert measures["bgnbd", "mae", "all"] < naive["bgnbd", "mae", "all"]
    assert (
        measures["bgnbd", "rmse", "all"]
        <= NAIVE_RMSE_FACTOR * naive["bgnbd", "rmse", "all"]
    )
    for model in ("bgnbd", "mbgnbd"):
        total = actual.loc[(model, "total", "all")]
        assert total["model_value"] == pytest.approx(
            total["actual_value"], rel=TOTAL_TOLERANCE
        )
        buckets = actual.loc[(model, "conditional_expectation")]
        assert buckets["customers"].sum() == total["customers"] == report["customers"]
        assert "0" in buckets.index
