"""An independent pandas implementation of the spec's tag rules (section 2-3), read
straight from the spec, used to check the dbt marts customer by customer. It starts
from the clean staging tables, so it checks the intermediate and mart layers."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import duckdb
import pandas as pd

# The tags of the spec (section 3). Each one the project ships must have a rule
# here: tests/test_tags.py fails on a shipped spec tag the oracle does not cover.
# Tags an analyst adds beyond the spec are covered by the boundary unit tests the
# catalogue generates from their bands.
SPEC_TAGS = (
    "customer_type",
    "industry",
    "company_size",
    "region",
    "purchase_frequency",
    "recency",
    "product_preference",
    "r_score",
    "f_score",
    "m_score",
    "rfm_total",
    "customer_level",
    "profit_contribution",
    "ltv",
    "rfm_segment",
    "churn_risk",
    "price_sensitivity",
    "service_preference",
    "decision_role",
    "lifecycle_stage",
    "complaints",
    "consultation_frequency",
    "satisfaction",
)


def groups(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {key: rows for key, rows in frame.groupby("customer_id")}


def ltv_predictions(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """customer_id -> predicted LTV, {} when the LTV model is disabled."""
    found = con.execute(
        "select count(*) from information_schema.tables"
        " where table_name = 'int_customers_ltv_predicted'"
    ).fetchall()
    if not found[0][0]:
        return {}
    rows = con.execute(
        "select customer_id, predicted_ltv from"
        " intermediate.int_customers_ltv_predicted"
        " where predicted_ltv is not null"
    ).fetchall()
    return {customer: float(value) for customer, value in rows}


def mbgnbd_params(con: duckdb.DuckDBPyConnection) -> dict[str, float] | None:
    """The fitted MBG/NBD parameters of the fit table, None when not fitted."""
    found = con.execute(
        "select count(*) from information_schema.tables"
        " where table_name = 'int_clv_models_fitted'"
    ).fetchall()
    if not found[0][0]:
        return None
    rows = con.execute(
        "select parameter, value from intermediate.int_clv_models_fitted"
        " where model = 'mbgnbd' and status = 'fitted'"
    ).fetchall()
    return {name: float(value) for name, value in rows} or None


def p_alive(params: dict[str, float], days: pd.Series, as_of: pd.Timestamp) -> float:
    """Spec 3.2 by its closed form on the customer's purchase days, in weeks (the
    default ltv_time_unit): x repeat purchase days, t_x first to last, T first to
    as_of_date."""
    purchase_days = sorted(set(days))
    first, last = purchase_days[0], purchase_days[-1]
    x = len(purchase_days) - 1
    t_x = (last - first).days / 7
    big_t = (as_of - first).days / 7
    r, alpha, a, b = (params[name] for name in ("r", "alpha", "a", "b"))
    odds = (a / (b + x)) * math.exp(
        (r + x) * (math.log(alpha + big_t) - math.log(alpha + t_x))
    )
    return 1 / (1 + odds)


RFM_CODES = {
    (True, True, True): "important_value",
    (True, False, True): "important_develop",
    (False, True, True): "important_keep",
    (False, False, True): "important_retain",
    (True, True, False): "general_value",
    (True, False, False): "general_develop",
    (False, True, False): "general_keep",
    (False, False, False): "general_retain",
}


def rfm_segments(rfm: dict[str, tuple[int, int, Fraction]]) -> dict[str, str]:
    """Spec 3.1 with the default vars (mean cuts, one-order customers not set
    apart): customer -> code for the population P given as customer -> (R, F, M),
    the means as exact fractions."""
    if not rfm:
        return {}
    size = len(rfm)
    r_cut = Fraction(sum(r for r, _, _ in rfm.values()), size)
    f_cut = Fraction(sum(f for _, f, _ in rfm.values()), size)
    m_cut = sum((m for _, _, m in rfm.values()), Fraction(0)) / size
    return {
        cid: RFM_CODES[(r <= r_cut, f >= f_cut, m >= m_cut)]
        for cid, (r, f, m) in rfm.items()
    }


def oracle_tags(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Every tag the project ships, of every clean customer, one row each. ltv bands
    the LTV model's prediction (int_customers_ltv_predicted; its maths is checked
    in tests/test_clv.py), unknown when the model did not run. churn_risk bands
    p_alive recomputed here by spec 3.2's closed form from the fitted MBG/NBD
    parameters (in frame.attrs['p_alive'], not a tag column); rfm_segment by spec
    3.1 with exact fractions."""
    customers = con.sql("select * from staging.stg_crm__customers").df()
    orders = con.sql("select * from staging.stg_crm__orders").df()
    promotions = con.sql("select * from staging.stg_crm__promotions").df()
    interactions = con.sql("select * from staging.stg_crm__service_interactions").df()
    predictions = ltv_predictions(con)

    as_of_ts = pd.Timestamp(as_of)
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    valid = orders[orders["is_completed"] & (orders["order_date"] <= as_of_ts)].copy()
    valid["days"] = (as_of_ts - valid["order_date"]).dt.days
    window = valid[(valid["days"] >= 0) & (valid["days"] <= 364)].copy()
    window["amount_exact"] = [Fraction(Decimal(str(v))) for v in window["amount"]]
    window["amount"] = window["amount"].astype(float)
    window["cost"] = window["cost"].astype(float)

    promos = window.merge(promotions, on="promotion_id", how="inner")
    promos = promos[
        (promos["order_date"] >= pd.to_datetime(promos["start_date"]))
        & (promos["order_date"] <= pd.to_datetime(promos["end_date"]))
    ]
    interactions["day"] = pd.to_datetime(interactions["occurred_at"]).dt.normalize()
    interactions["days"] = (as_of_ts - interactions["day"]).dt.days
    service = interactions[(interactions["days"] >= 0) & (interactions["days"] <= 364)]

    valid_by, window_by = groups(valid), groups(window)
    promos_by, service_by = groups(promos), groups(service)
    empty_orders, empty_service = valid.iloc[0:0], service.iloc[0:0]
    rows = []
    alive_params = mbgnbd_params(con)
    rfm: dict[str, tuple[int, int, Fraction]] = {}
    alive_by_customer: dict[str, float | None] = {}
    for customer in customers.itertuples():
        cid = customer.customer_id
        mine = valid_by.get(cid, empty_orders)
        win = window_by.get(cid, empty_orders)
        f = win["order_id"].nunique()
        m = win["amount"].sum()
        r_days = int(mine["days"].min()) if len(mine) else None
        first_days = int(mine["days"].max()) if len(mine) else None
        ever = len(mine) > 0
        if f:
            rfm[cid] = (int(r_days), int(f), sum(win["amount_exact"], Fraction(0)))
        alive = (
            p_alive(alive_params, mine["order_date"], as_of_ts)
            if ever and alive_params is not None
            else None
        )
        churn = (
            "unknown"
            if alive is None
            else "high"
            if alive < 0.3
            else "medium"
            if alive < 0.7
            else "low"
        )

        if len(win):
            per_category = win.groupby("product_category").agg(
                n=("order_id", "nunique"), amount=("amount", "sum")
            )
            per_category = per_category.reset_index().sort_values(
                ["n", "amount", "product_category"], ascending=[False, False, True]
            )
            preference = per_category.iloc[0]["product_category"]
        else:
            preference = "none"

        frequency = "high" if f >= 12 else "medium" if f >= 4 else "low"
        if r_days is None:
            recency, r_score = "never", 0
        else:
            recency = (
                "within_30d"
                if r_days <= 30
                else "d31_90"
                if r_days <= 90
                else "d91_180"
                if r_days <= 180
                else "over_180d"
            )
            r_score = 5 if r_days <= 30 else 3 if r_days <= 90 else 1
        f_score = {"high": 5, "medium": 3, "low": 1}[frequency] if ever else 0
        m_score = (5 if m >= 50000 else 3 if m >= 10000 else 1) if ever else 0
        total = r_score + f_score + m_score
        level = (
            "vip"
            if total >= 9
            else "important"
            if total >= 6
            else "ordinary"
            if total >= 3
            else "potential"
        )
        revenue = win["amount"].sum()
        if revenue > 0:
            profit = revenue - win["cost"].sum()
            profit_tag = (
                "high"
                if profit > 0.30 * revenue
                else "medium"
                if profit >= 0.10 * revenue
                else "low"
            )
        else:
            profit_tag = "unknown"

        if f:
            promo = promos_by.get(cid, empty_orders)["order_id"].nunique()
            price = (
                "high" if promo > 0.8 * f else "medium" if promo >= 0.5 * f else "low"
            )
        else:
            price = "unknown"
        mine_service = service_by.get(cid, empty_service)
        if len(mine_service):
            counts = mine_service["channel"].value_counts()
            best = counts.max()
            channel = sorted(counts[counts == best].index)[0]
        else:
            channel = "unknown"
        complaints_n = int((mine_service["interaction_type"] == "complaint").sum())
        complaints = (
            "none" if complaints_n == 0 else "one" if complaints_n == 1 else "multiple"
        )
        # spec section 3: C >= 6 high, >= 2 medium, 1 low, 0 none
        consultations = int((mine_service["interaction_type"] == "consultation").sum())
        consultation = (
            "high"
            if consultations >= 6
            else "medium"
            if consultations >= 2
            else "low"
            if consultations == 1
            else "none"
        )
        predicted = predictions.get(cid)
        if predicted is None:
            ltv = "unknown"
        else:
            ltv = (
                "high"
                if predicted > 100000
                else "medium"
                if predicted >= 50000
                else "low"
            )
        rated = mine_service["satisfaction"].dropna().astype(float)
        if len(rated):
            total_rating, n_rated = rated.sum(), len(rated)
            satisfaction = (
                "very_satisfied"
                if total_rating >= 4.5 * n_rated
                else "satisfied"
                if total_rating >= 3.5 * n_rated
                else "dissatisfied"
            )
        else:
            satisfaction = "unknown"

        if not ever:
            lifecycle = "potential"
        elif first_days <= 90:
            lifecycle = "new"
        elif r_days <= 180:
            lifecycle = "active"
        elif r_days <= 365:
            lifecycle = "at_risk"
        else:
            lifecycle = "churned"

        employees = customer.employee_count
        if customer.customer_type == "individual":
            size = "not_applicable"
        elif employees is None or pd.isna(employees):
            size = "unknown"
        else:
            size = (
                "small_micro"
                if employees < 100
                else "medium"
                if employees <= 500
                else "large"
            )

        rows.append(
            {
                "customer_id": cid,
                "customer_type": customer.customer_type,
                "industry": customer.industry,
                "company_size": size,
                "region": customer.region,
                "purchase_frequency": frequency,
                "recency": recency,
                "product_preference": preference,
                "r_score": r_score,
                "f_score": f_score,
                "m_score": m_score,
                "rfm_total": total,
                "customer_level": level,
                "profit_contribution": profit_tag,
                "price_sensitivity": price,
                "service_preference": channel,
                "decision_role": customer.decision_role,
                "lifecycle_stage": lifecycle,
                "complaints": complaints,
                "consultation_frequency": consultation,
                "ltv": ltv,
                "satisfaction": satisfaction,
                "churn_risk": churn,
            }
        )
        alive_by_customer[cid] = alive
    frame = pd.DataFrame(rows).set_index("customer_id").sort_index()
    segments = rfm_segments(rfm)
    frame["rfm_segment"] = [segments.get(cid, "none") for cid in frame.index]
    # not a tag: beside the tags, for the check of the mart's p_alive column
    frame.attrs["p_alive"] = pd.Series(alive_by_customer, dtype="float64").sort_index()
    return frame
