"""Seeded BG/NBD + Gamma-Gamma simulator for tests and benchmarks.

Customers are acquired uniformly over the calibration period (their first
purchase), then (BG/NBD, Fader, Hardie & Lee 2005):

* purchase rate lambda ~ Gamma(shape r, rate alpha), inter-purchase times
  ~ Exponential(lambda);
* drop-out probability p ~ Beta(a, b); right after each *repeat* purchase the
  customer becomes inactive with probability p (the first purchase cannot end
  the relationship, as in FHL's likelihood (1-p)^x lambda^x e^(-lambda T) + ...).

With ``model="mbgnbd"`` (MBG/NBD, Batislam, Denizel & Filiztekin 2007) the
customer may also drop out right after the *first* purchase: after every
purchase, the first included, the customer becomes inactive with probability p.

Spend per transaction (Gamma-Gamma): nu ~ Gamma(shape q, rate gamma) per
customer, z ~ Gamma(shape p, rate nu) per transaction.

Time is in weeks. Everything is vectorised across customers; the only Python
loop is over the purchase number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SimulatedCustomers:
    """Simulated customers (weeks; index i = customer i).

    ``frequency``/``recency``/``T``/``monetary_value`` are the exact
    continuous-time calibration statistics (monetary value = mean spend of the
    repeat purchases, 0 if none); ``holdout_purchases`` counts purchases in
    (calibration_weeks, calibration_weeks + holdout_weeks].
    """

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    holdout_purchases: FloatArray
    transactions: pd.DataFrame
    calibration_end: pd.Timestamp


def simulate_customers(
    n_customers: int,
    *,
    r: float = 0.25,
    alpha: float = 4.0,
    a: float = 0.8,
    b: float = 2.5,
    p: float = 6.0,
    q: float = 4.0,
    gamma: float = 15.0,
    calibration_weeks: float = 52.0,
    holdout_weeks: float = 0.0,
    start_date: str = "2020-01-01",
    seed: int = 0,
    model: Literal["bgnbd", "mbgnbd"] = "bgnbd",
) -> SimulatedCustomers:
    """Draw ``n_customers`` customers and their transactions.

    ``transactions`` has columns customer_id (int), order_date (datetime, day
    resolution: week time w maps to start_date + floor(7 w) days) and amount;
    it covers calibration and holdout. ``calibration_end`` is the last
    calibration day (start_date + ceil(7 * calibration_weeks) - 1 days).
    """
    rng = np.random.default_rng(seed)
    end = calibration_weeks + holdout_weeks
    birth = rng.uniform(0.0, calibration_weeks, n_customers)
    lam = rng.gamma(r, 1.0 / alpha, n_customers)
    drop = rng.beta(a, b, n_customers)
    nu = rng.gamma(q, 1.0 / gamma, n_customers)

    ids: list[NDArray[np.int64]] = [np.arange(n_customers)]
    times: list[FloatArray] = [birth]
    frequency = np.zeros(n_customers)
    last_cal = birth.copy()
    holdout = np.zeros(n_customers)
    active = np.arange(n_customers)
    now = birth.copy()
    if model == "mbgnbd":  # the first purchase can end the relationship too
        active = active[rng.uniform(size=active.size) >= drop[active]]
    elif model != "bgnbd":
        raise ValueError(f"model must be 'bgnbd' or 'mbgnbd', got {model!r}")
    while active.size:
        with np.errstate(divide="ignore"):
            now[active] += rng.exponential(1.0, active.size) / lam[active]
        active = active[now[active] <= end]
        ids.append(active)
        times.append(now[active])
        in_cal = now[active] <= calibration_weeks
        frequency[active[in_cal]] += 1
        last_cal[active[in_cal]] = now[active[in_cal]]
        holdout[active[~in_cal]] += 1
        active = active[rng.uniform(size=active.size) >= drop[active]]

    customer = np.concatenate(ids)
    time = np.concatenate(times)
    amount = rng.gamma(p, 1.0, customer.size) / nu[customer]
    repeat_cal = (time <= calibration_weeks) & (time > birth[customer])
    repeat_spend = np.bincount(
        customer[repeat_cal], weights=amount[repeat_cal], minlength=n_customers
    )
    monetary = np.divide(
        repeat_spend, frequency, out=np.zeros(n_customers), where=frequency > 0
    )
    start = pd.Timestamp(start_date)
    days = np.floor(time * 7.0).astype(np.int64)
    transactions = pd.DataFrame(
        {
            "customer_id": customer,
            "order_date": start + pd.to_timedelta(days, unit="D"),
            "amount": amount,
        }
    )
    calibration_end = start + pd.Timedelta(
        days=int(np.ceil(calibration_weeks * 7.0)) - 1
    )
    return SimulatedCustomers(
        frequency=frequency,
        recency=last_cal - birth,
        T=calibration_weeks - birth,
        monetary_value=monetary,
        holdout_purchases=holdout,
        transactions=transactions,
        calibration_end=calibration_end,
    )
