"""Time summarise + fit + score of the CLV models on simulated customers.

Usage:
    python scripts/benchmark_clv.py [--customers 1000000] [--discount-rate 0.1]

A benchmark, not a test: it prints the seconds spent in each phase.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from clv_simulation import simulate_customers  # noqa: E402

from tag_warehouse.clv import (  # noqa: E402
    fit_bgnbd,
    fit_gamma_gamma,
    predict_ltv,
    summarise_transactions,
)

T = TypeVar("T")


def timed(label: str, func: Callable[[], T]) -> tuple[T, float]:
    """Run ``func``, print and return its wall-clock duration."""
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    print(f"{label:<28} {seconds:8.2f} s", flush=True)
    return result, seconds


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--horizon-years", type=float, default=3.0)
    parser.add_argument("--discount-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    sim, _ = timed(
        "simulate (not counted)",
        lambda: simulate_customers(args.customers, seed=args.seed),
    )
    tx = sim.transactions
    print(f"{len(tx):,} transactions, {args.customers:,} customers")
    summary, t_summary = timed(
        "summarise_transactions",
        lambda: summarise_transactions(
            tx, "customer_id", "order_date", "amount", sim.calibration_end
        ),
    )
    bgnbd, t_bgnbd = timed(
        "fit_bgnbd",
        lambda: fit_bgnbd(summary["frequency"], summary["recency"], summary["T"]),
    )
    gg, t_gg = timed(
        "fit_gamma_gamma",
        lambda: fit_gamma_gamma(summary["frequency"], summary["monetary_value"]),
    )
    _, t_plain = timed(
        "predict_ltv (no discount)",
        lambda: predict_ltv(summary, bgnbd, gg, args.horizon_years, "week"),
    )
    _, t_disc = timed(
        f"predict_ltv (discount {args.discount_rate:g})",
        lambda: predict_ltv(
            summary, bgnbd, gg, args.horizon_years, "week", args.discount_rate
        ),
    )
    total = t_summary + t_bgnbd + t_gg + max(t_plain, t_disc)
    print(f"{'total (summarise+fit+score)':<28} {total:8.2f} s")
    print(f"BG/NBD {bgnbd.params} ({bgnbd.iterations} iterations)")
    print(f"Gamma-Gamma {gg.params} ({gg.iterations} iterations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
