"""RFM summary: per-customer frequency, recency, T and mean spend from orders."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tag_warehouse.clv._common import (
    SUMMARY_COLUMNS,
    ClvInputError,
    DateLike,
    Unit,
    _check_unit,
    _to_day_number,
    _to_day_numbers,
)


def summarise_transactions(
    df: pd.DataFrame,
    customer_col: str,
    date_col: str,
    amount_col: str,
    calibration_end: DateLike | None,
    unit: Unit = "week",
) -> pd.DataFrame:
    """Per-customer frequency / recency / T / monetary value (vectorised).

    Transactions after ``calibration_end`` are ignored. Amounts are first summed
    per customer and calendar day; each purchase day is one purchase.

    Args:
        df: one row per transaction.
        customer_col: customer identifier column.
        date_col: transaction date or timestamp column (time of day is ignored).
        amount_col: transaction amount column (missing amounts count as 0).
        calibration_end: last day (inclusive) of the calibration period; None
            means the latest transaction date.
        unit: "week" (days / 7) or "day".

    Returns:
        DataFrame indexed by customer id (index named ``customer_col``) with
        columns ``frequency`` (distinct purchase days - 1), ``recency`` (first to
        last purchase day), ``T`` (first purchase day to ``calibration_end``) and
        ``monetary_value`` (mean day-amount over the repeat purchase days, 0 when
        frequency is 0). Customers without any purchase in the calibration period
        are absent. ``attrs`` holds "calibration_end" (ISO date), "unit" and
        "n_transactions" (rows on or before the calibration end).

    Raises:
        ClvInputError: missing column or unparseable dates.
    """
    days_per_unit = _check_unit(unit)
    missing = [c for c in (customer_col, date_col, amount_col) if c not in df.columns]
    if missing:
        raise ClvInputError(
            f"column(s) {', '.join(map(repr, missing))} not found; "
            f"available columns: {', '.join(map(str, df.columns))}"
        )
    day = _to_day_numbers(df[date_col], f"column {date_col!r}")
    if calibration_end is not None:
        end_day = _to_day_number(calibration_end, "calibration_end")
    elif day.size:
        end_day = int(day.max())
    else:
        raise ClvInputError("no transactions: cannot default the calibration end")
    attrs = {
        "calibration_end": str(np.datetime64(end_day, "D")),
        "unit": unit,
        "n_transactions": 0,
    }
    keep = day <= end_day
    day = day[keep]
    amount = pd.to_numeric(df[amount_col], errors="coerce").to_numpy(np.float64)[keep]
    amount = np.nan_to_num(amount, nan=0.0)
    customer_codes, customers = pd.factorize(df[customer_col])
    customer_codes = customer_codes[keep]
    valid = customer_codes >= 0  # missing customer ids are dropped
    if not valid.all():
        customer_codes, day, amount = customer_codes[valid], day[valid], amount[valid]
    attrs["n_transactions"] = int(customer_codes.size)
    if customer_codes.size == 0:
        summary = _empty_summary(customer_col)
        summary.attrs.update(attrs)
        return summary

    # One int64 key per (customer, day); sorting it sorts by customer then day.
    first_day = int(day.min())
    span = end_day - first_day + 1
    key = customer_codes.astype(np.int64) * span + (day - first_day)
    order = np.argsort(key)
    key, amount = key[order], amount[order]
    day_starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    key_values = key[day_starts]
    day_amount = np.add.reduceat(amount, day_starts)
    cust = key_values // span
    cust_day = key_values % span + first_day

    starts = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]])
    ends = np.r_[starts[1:], cust.size] - 1
    n_days = ends - starts + 1
    repeat_amount = day_amount.copy()
    repeat_amount[starts] = 0.0
    repeat_total = np.add.reduceat(repeat_amount, starts)
    frequency = (n_days - 1).astype(np.float64)
    monetary = np.divide(
        repeat_total, frequency, out=np.zeros_like(repeat_total), where=frequency > 0
    )
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (cust_day[ends] - cust_day[starts]) / days_per_unit,
            "T": (end_day - cust_day[starts]) / days_per_unit,
            "monetary_value": monetary,
        },
        index=pd.Index(customers[cust[starts]], name=customer_col),
    )
    summary.attrs.update(attrs)
    return summary


def _empty_summary(customer_col: str) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=np.float64) for c in SUMMARY_COLUMNS},
        index=pd.Index([], name=customer_col),
    )
