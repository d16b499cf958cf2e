"""Tests of the MBG/NBD model in tag_warehouse.clv (issue #16 item 2, spec 3.2).

MBG/NBD (Batislam, Denizel & Filiztekin 2007; erratum Wagner & Hoppe 2008) is
BG/NBD in which the first purchase can end the relationship too, so a one-time
buyer who has not come back for long gets a low P(alive) instead of BG/NBD's 1.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from clv_simulation import simulate_customers
from scipy import integrate, special, stats

from tag_warehouse import clv

REPO = Path(__file__).resolve().parents[1]
TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
PARAMS = (0.5, 3.0, 0.9, 2.2)  # (r, alpha, a, b) for the closed-form checks
CUSTOMERS = [(0, 0.0, 10.0), (3, 6.0, 10.0), (1, 2.5, 4.0)]


# --------------------------------------------------------------------------- #
# Hand-written closed forms and the model definition
# --------------------------------------------------------------------------- #


def mbgnbd_ll_by_hand(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float
) -> float:
    """Batislam et al. (2007) likelihood written out with plain math."""
    a1 = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    a2 = special.beta(a, b + x + 1) / special.beta(a, b)
    a3 = (alpha + T) ** -(r + x)
    a4 = a / (b + x) * (alpha + t_x) ** -(r + x)
    return math.log(a1 * a2 * (a3 + a4))


def mbgnbd_ll_by_integration(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float
) -> float:
    """Integrate the individual likelihood over lambda ~ Gamma, p ~ Beta.

    Drop-out with probability p after every purchase, the first included:
    L(lambda, p) = (1-p)^(x+1) lambda^x e^(-lambda T)
                   + p (1-p)^x lambda^x e^(-lambda t_x)
    """
    lam = stats.gamma(r, scale=1.0 / alpha)
    drop = stats.beta(a, b)

    def expect_lambda(age: float) -> float:
        return integrate.quad(lambda v: v**x * math.exp(-v * age) * lam.pdf(v), 0, 50)[
            0
        ]

    def expect_p(power: int, factor_p: bool) -> float:
        return integrate.quad(
            lambda u: (u if factor_p else 1.0) * (1 - u) ** power * drop.pdf(u), 0, 1
        )[0]

    total = expect_lambda(T) * expect_p(x + 1, False)
    total += expect_lambda(t_x) * expect_p(x, True)
    return math.log(total)


def mbgnbd_expected_by_hand(
    r: float, alpha: float, a: float, b: float, t: float, x: int, t_x: float, T: float
) -> float:
    """Wagner & Hoppe (2008) conditional expectation evaluated literally."""
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x + 1, a + b + x, z
    )
    odds = a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return (a + b + x) / (a - 1) * bracket / (1 + odds)


def mbgnbd_expected_by_integration(
    r: float, alpha: float, a: float, b: float, t: float, x: int, t_x: float, T: float
) -> float:
    """E[Y(t) | x, t_x, T] from the model definition, independent of the erratum.

    A customer alive at T buys (1 - exp(-lambda p t)) / p times in expectation;
    weight it by P(data, alive | lambda, p) = (1-p)^(x+1) lambda^x e^(-lambda T),
    integrate lambda out in closed form and p numerically, divide by the
    marginal likelihood.
    """
    scale = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r

    def integrand(p: float) -> float:
        if p == 0.0:
            return scale * (r + x) * t * (alpha + T) ** -(r + x + 1)
        gap = (alpha + T) ** -(r + x) - (alpha + T + p * t) ** -(r + x)
        return (1 - p) ** (x + 1) * scale * gap / p

    numerator = integrate.quad(integrand, 0, 1, weight="alg", wvar=(a - 1, b - 1))[0]
    numerator /= special.beta(a, b)
    return numerator / math.exp(mbgnbd_ll_by_hand(r, alpha, a, b, x, t_x, T))


# --------------------------------------------------------------------------- #
# Log-likelihood
# --------------------------------------------------------------------------- #


def test_log_likelihood_matches_hand_computed_values() -> None:
    x, t_x, T = map(np.array, zip(*CUSTOMERS, strict=True))
    got = clv.mbgnbd_log_likelihood(PARAMS, x, t_x, T)
    assert got == pytest.approx(
        [mbgnbd_ll_by_hand(*PARAMS, *c) for c in CUSTOMERS], rel=1e-10
    )
    # x == 0: L = b/(a+b) (alpha/(alpha+T))^r + a/(a+b) (dropped after the first).
    r, alpha, a, b = PARAMS
    one_timer = b / (a + b) * (alpha / (alpha + 10.0)) ** r + a / (a + b)
    assert got[0] == pytest.approx(math.log(one_timer), rel=1e-12)
    # r = alpha = a = b = 1, x = 1, t_x = 2, T = 6 by hand:
    # A1 = G(2)/G(1) * 1 = 1; B(1, 3)/B(1, 1) = 1/3; A3 = 7^-2; A4 = 1/2 * 3^-2.
    assert clv.mbgnbd_log_likelihood((1, 1, 1, 1), 1, 2.0, 6.0) == pytest.approx(
        math.log((1 / 49 + 1 / 18) / 3), rel=1e-12
    )


def test_log_likelihood_matches_model_definition() -> None:
    params = (1.5, 3.0, 1.3, 2.2)  # shapes > 1: smooth integrands for quad
    got = clv.mbgnbd_log_likelihood(
        params, *map(np.array, zip(*CUSTOMERS, strict=True))
    )
    expected = [mbgnbd_ll_by_integration(*params, *c) for c in CUSTOMERS]
    assert got == pytest.approx(expected, rel=1e-6)


def test_log_likelihood_is_finite_for_extreme_customers() -> None:
    ll = clv.mbgnbd_log_likelihood(
        PARAMS, [5000, 5000, 0], [5.0, 1e5, 0.0], [1e5, 1e5, 1e6]
    )
    assert np.all(np.isfinite(ll))


def test_fit_objective_value_and_gradient() -> None:
    """The collapsed, weighted objective equals -mean(per-customer LL) and its
    analytic gradient matches central finite differences."""
    sim = simulate_customers(1000, seed=3, model="mbgnbd")
    summary = clv.summarise_transactions(
        sim.transactions, "customer_id", "order_date", "amount", sim.calibration_end
    )
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    rows, weights, _ = clv._collapse_rows(x, t_x, T)
    assert weights.max() > 1
    data = clv._BgnbdData.from_rows(*rows, weights)
    theta = np.log([0.4, 3.0, 0.7, 2.0])
    value, grad = clv._mbgnbd_negll_and_grad(theta, data)
    expected = -clv.mbgnbd_log_likelihood(np.exp(theta), x, t_x, T).mean()
    assert value == pytest.approx(expected, rel=1e-12)
    h = 1e-6
    numeric = [
        (
            clv._mbgnbd_negll_and_grad(theta + h * e, data)[0]
            - clv._mbgnbd_negll_and_grad(theta - h * e, data)[0]
        )
        / (2 * h)
        for e in np.eye(4)
    ]
    assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-8)


# --------------------------------------------------------------------------- #
# Fitting
# --------------------------------------------------------------------------- #

# Tolerances from 12 seeds of 4000 customers, one year (worst relative errors:
# r 28%, alpha 15%, a 33%, b 86%, mean drop-out probability a/(a+b) 39%). As for
# BG/NBD, a and b are weakly identified one by one; here even their ratio trades
# off against r (seeds with a high r have a high a/(a+b)).
RECOVERY_TOLERANCE = {"r": 0.4, "alpha": 0.3, "a": 0.6, "b": 1.2}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parameter_recovery(seed: int) -> None:
    sim = simulate_customers(4000, seed=seed, model="mbgnbd", **TRUTH)
    fit = clv.fit_mbgnbd(sim.frequency, sim.recency, sim.T)
    assert fit.model == "mbgnbd" and fit.converged and fit.n_customers == 4000
    for name, tolerance in RECOVERY_TOLERANCE.items():
        assert fit.params[name] == pytest.approx(TRUTH[name], rel=tolerance), name
    est = fit.params
    assert est["a"] / (est["a"] + est["b"]) == pytest.approx(0.8 / 3.3, rel=0.5)
    ll = clv.mbgnbd_log_likelihood(est, sim.frequency, sim.recency, sim.T).sum()
    assert fit.log_likelihood == pytest.approx(ll, rel=1e-12)


def test_fit_is_at_a_maximum() -> None:
    sim = simulate_customers(3000, seed=5, model="mbgnbd")
    fit = clv.fit_mbgnbd(sim.frequency, sim.recency, sim.T)
    best = np.array(list(fit.params.values()))
    for factor in (0.98, 1.02):
        for i in range(4):
            moved = best.copy()
            moved[i] *= factor
            ll = clv.mbgnbd_log_likelihood(moved, sim.frequency, sim.recency, sim.T)
            assert ll.sum() < fit.log_likelihood


def test_mbgnbd_fits_its_own_data_better_than_bgnbd() -> None:
    """On data where first purchases end relationships, MBG/NBD has the higher LL."""
    sim = simulate_customers(4000, seed=8, model="mbgnbd", **TRUTH)
    mbg = clv.fit_mbgnbd(sim.frequency, sim.recency, sim.T)
    bg = clv.fit_bgnbd(sim.frequency, sim.recency, sim.T)
    assert mbg.log_likelihood > bg.log_likelihood


def test_fit_without_repeat_buyers_raises_naming_the_model() -> None:
    with pytest.raises(clv.ClvFitError, match="MBG/NBD fit failed.*repeat purchase"):
        clv.fit_mbgnbd(np.zeros(50), np.zeros(50), np.linspace(1, 50, 50))


def test_optimiser_failure_raises_with_model_and_message() -> None:
    sim = simulate_customers(2000, seed=4, model="mbgnbd")
    with pytest.raises(clv.ClvFitError, match="MBG/NBD fit failed.*ITERATIONS.*Try"):
        clv.fit_mbgnbd(sim.frequency, sim.recency, sim.T, max_iterations=1)


def test_fit_mbgnbd_model_never_raises() -> None:
    sim = simulate_customers(2000, seed=6, model="mbgnbd")
    summary = pd.DataFrame(
        {"frequency": sim.frequency, "recency": sim.recency, "T": sim.T}
    )
    fitted = clv.fit_mbgnbd_model(summary)
    assert fitted.status == "fitted" and fitted.fit is not None
    assert fitted.n_customers == 2000 and fitted.reason == ""
    assert fitted.as_dict()["params"] == fitted.fit.params
    one_timers = summary.assign(frequency=0.0, recency=0.0)
    failed = clv.fit_mbgnbd_model(one_timers)
    assert failed.status == "failed" and failed.fit is None
    assert "MBG/NBD" in failed.reason and "repeat purchase" in failed.reason
    empty = clv.fit_mbgnbd_model(summary.iloc[:0])
    assert empty.status == "failed" and "nothing to fit" in empty.reason
    # Ten customers: the likelihood has no interior maximum (a on its bound).
    tiny = simulate_customers(10, seed=0, model="mbgnbd")
    at_bound = clv.fit_mbgnbd_model(
        pd.DataFrame(
            {"frequency": tiny.frequency, "recency": tiny.recency, "T": tiny.T}
        )
    )
    assert at_bound.status == "failed" and at_bound.fit is None
    assert "MBG/NBD fit failed" in at_bound.reason and "bound" in at_bound.reason


# --------------------------------------------------------------------------- #
# P(alive) and expected purchases
# --------------------------------------------------------------------------- #


def test_prob_alive_equals_the_spec_closed_form_by_hand() -> None:
    # r = alpha = a = b = 1: odds = 1/(1+x) * ((1+T)/(1+t_x))^(1+x).
    x = np.array([0, 1, 2, 0])
    t_x = np.array([0.0, 2.0, 6.0, 0.0])
    T = np.array([2.0, 5.0, 6.0, 0.0])
    # odds: 1 * 3 = 3; 1/2 * 2^2 = 2; 1/3 * 1 = 1/3; 1 * 1 = 1.
    got = clv.mbgnbd_prob_alive({"r": 1, "alpha": 1, "a": 1, "b": 1}, x, t_x, T)
    assert got == pytest.approx([1 / 4, 1 / 3, 3 / 4, 1 / 2], rel=1e-12)
    # And the spec formula literally, for other parameters.
    r, alpha, a, b = PARAMS
    for xi, t_xi, Ti in CUSTOMERS:
        spec = 1 / (1 + (a / (b + xi)) * ((alpha + Ti) / (alpha + t_xi)) ** (r + xi))
        assert clv.mbgnbd_prob_alive(PARAMS, xi, t_xi, Ti) == pytest.approx(
            spec, rel=1e-12
        )


def test_one_time_buyer_prob_alive_falls_as_t_grows() -> None:
    T = np.array([0.0, 1.0, 4.0, 13.0, 52.0, 104.0, 520.0])
    alive = clv.mbgnbd_prob_alive(TRUTH, np.zeros(T.size), np.zeros(T.size), T)
    assert np.all(alive < 1.0) and np.all(alive > 0.0)
    assert np.all(np.diff(alive) < 0)
    # Even at T == 0 the first purchase may have ended it: b / (a + b).
    assert alive[0] == pytest.approx(2.5 / 3.3, rel=1e-12)
    # BG/NBD, by contrast, keeps every one-time buyer alive.
    bg = clv.bgnbd_prob_alive(TRUTH, np.zeros(T.size), np.zeros(T.size), T)
    assert bg == pytest.approx(np.ones(T.size))


def test_prob_alive_is_finite_for_extreme_customers() -> None:
    alive = clv.mbgnbd_prob_alive(
        PARAMS, [5000, 5000, 0, 0], [5.0, 1e5, 0.0, 0.0], [1e5, 1e5, 1e6, 0.0]
    )
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    assert alive[0] < 1e-100 and alive[1] > 0.99


@pytest.mark.parametrize(
    "params",
    [PARAMS, (0.25, 4.0, 0.23, 0.51), (0.5, 3.0, 1.7, 2.2), (2.0, 10.0, 3.0, 8.0)],
    ids=["a<1", "a+b<1", "a>1", "large-shapes"],
)
def test_expected_purchases_match_model_definition(
    params: tuple[float, float, float, float],
) -> None:
    for x, t_x, T in CUSTOMERS:
        got = clv.mbgnbd_expected_purchases(params, 30.0, x, t_x, T)
        expected = mbgnbd_expected_by_integration(*params, 30.0, x, t_x, T)
        assert got == pytest.approx(expected, rel=1e-7)
        literal = mbgnbd_expected_by_hand(*params, 30.0, x, t_x, T)
        assert got == pytest.approx(literal, rel=1e-7)


def test_simulated_holdout_purchases_are_predicted() -> None:
    sim = simulate_customers(
        20000, seed=101, model="mbgnbd", holdout_weeks=52.0, **TRUTH
    )
    fit = clv.fit_mbgnbd(sim.frequency, sim.recency, sim.T)
    predicted = clv.mbgnbd_expected_purchases(
        fit.params, 52.0, sim.frequency, sim.recency, sim.T
    )
    holdout = sim.holdout_purchases
    assert predicted.sum() == pytest.approx(holdout.sum(), rel=0.1)
    # By churn-risk band of P(alive) (spec thresholds 0.3 and 0.7): the holdout
    # purchases of each band are predicted, and customers of the high-risk band
    # come back far less often than those of the low-risk band.
    alive = clv.mbgnbd_prob_alive(fit.params, sim.frequency, sim.recency, sim.T)
    high, low = alive < 0.3, alive >= 0.7
    for band in (high, ~high & ~low, low):
        assert band.sum() > 500
        assert predicted[band].sum() == pytest.approx(holdout[band].sum(), rel=0.25)
    assert (holdout[high] > 0).mean() < 0.5 * (holdout[low] > 0).mean()


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


def test_cli_prints_mbgnbd_and_writes_p_alive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = simulate_customers(400, seed=7, model="mbgnbd")
    path = tmp_path / "orders.csv"
    sim.transactions.assign(order_date=sim.transactions["order_date"].dt.date).to_csv(
        path, index=False
    )
    out = tmp_path / "predictions.parquet"
    cli = load_cli()
    argv = [str(path), "--calibration-end", "2020-12-29", "--predictions-out", str(out)]
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)["mbgnbd"]
    assert report["status"] == "fitted" and report["converged"] is True
    assert set(report["params"]) == {"r", "alpha", "a", "b"}
    assert math.isfinite(report["log_likelihood"]) and report["n_customers"] == 400
    predictions = pd.read_parquet(out)
    assert len(predictions) == 400
    expected = clv.mbgnbd_prob_alive(
        report["params"],
        predictions["frequency"],
        predictions["recency"],
        predictions["T"],
    )
    assert predictions["p_alive"].to_numpy() == pytest.approx(expected, rel=1e-12)
    one_timers = predictions[predictions["frequency"] == 0]
    assert (one_timers["p_alive"] < 1).all() and (one_timers["prob_alive"] == 1).all()


def test_cli_writes_p_alive_when_only_mbgnbd_is_fitted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = simulate_customers(400, seed=7, model="mbgnbd")
    path = tmp_path / "orders.csv"
    # Amounts of 0: no repeat buyer has a positive spend, Gamma-Gamma fails.
    sim.transactions.assign(
        order_date=sim.transactions["order_date"].dt.date, amount=0.0
    ).to_csv(path, index=False)
    out = tmp_path / "predictions.csv"
    cli = load_cli()
    code = cli.main([str(path), "--predictions-out", str(out), "--fail-on-failed-fit"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == cli.FAILED_FIT_STATUS
    assert report["gamma_gamma"]["status"] == "failed"
    assert report["mbgnbd"]["status"] == "fitted"
    predictions = pd.read_csv(out)
    assert predictions["predicted_ltv"].isna().all()
    assert predictions["p_alive"].between(0, 1).all()
