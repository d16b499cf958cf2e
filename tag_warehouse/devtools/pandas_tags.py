"""The customer tags in plain pandas: the script an analyst would write instead of
the warehouse, kept as the benchmark's comparison (scripts/benchmark.py).

It reads the four raw Parquet files and applies the staging rules that decide
which rows count (text cleaning, code aliases, reject checks, newest valid version
wins), then every rule-based tag of the spec (ltv aside) with the default
thresholds, vectorised. Simplifications, exact on the generated data:

* amounts are compared in whole cents (the contract's amounts have two decimals);
* numbers and timestamps are parsed by pandas (``to_numeric``, ISO 8601 and the
  ``2026/3/5`` forms); DuckDB accepts a few more spellings (``epoch``, ``1e3``)
  the generator never writes;
* timestamps with a zone are converted to UTC (the warehouse default).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
STRIP = " \t\n\r\u3000"
WINDOW_DAYS = 365
TAG_COLUMNS = (
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
    "price_sensitivity",
    "service_preference",
    "decision_role",
    "lifecycle_stage",
    "complaints",
    "satisfaction",
)
# Tags of the registry this peer does not compute, each for a stated reason; a
# test (tests/test_benchmark.py) fails when a tag is in neither list.
NOT_COVERED = {
    "ltv": "a fitted model (BG/NBD + Gamma-Gamma), not a rule",
    "churn_risk": "a fitted model (MBG/NBD p_alive), not a rule",
    "rfm_segment": "cuts over the whole population (spec 3.1); checked by the"
    " test oracle (tests/tag_oracle.py)",
    "consultation_frequency": "added through the catalogue after the peer was"
    " written; checked by the oracle and its generated boundary unit test",
}


def clean(text: pd.Series) -> pd.Series:
    """Trimmed text, blank -> missing."""
    return text.str.strip(STRIP).replace("", None)


def timestamps(text: pd.Series) -> pd.Series:
    text = clean(text)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    parsed = parsed.dt.tz_convert(None)
    for form in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y%m%d"):
        parsed = parsed.fillna(pd.to_datetime(text, format=form, errors="coerce"))
    return parsed


def dates(text: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(clean(text), format="%Y-%m-%d", errors="coerce")
    return parsed.fillna(timestamps(text).dt.normalize())


def numbers(text: pd.Series) -> pd.Series:
    stripped = clean(text).str.replace(r"[,¥￥$ ]", "", regex=True)
    return pd.to_numeric(stripped, errors="coerce").astype("float64")


def whole_numbers(text: pd.Series) -> pd.Series:
    value = numbers(text)
    return value.where(value == np.floor(value))


def codes(text: pd.Series, domain: str, aliases: pd.DataFrame) -> pd.Series:
    mapping = aliases[aliases["domain"] == domain].set_index("alias")["code"]
    return clean(text).str.lower().map(mapping)


def newest(frame: pd.DataFrame, key: str, order: list[str]) -> pd.DataFrame:
    """The newest row of each key: the last by `order` (ties: later row)."""
    ordered = frame.sort_values([*order, "row"], kind="stable")
    return ordered.drop_duplicates(key, keep="last")


def read(raw_dir: Path, name: str) -> pd.DataFrame:
    frame = pd.read_parquet(raw_dir / f"{name}.parquet")
    return frame.astype("string").assign(row=np.arange(len(frame)))


def band(rungs: list[tuple[pd.Series, object]], other: object) -> np.ndarray:
    """The code of the first rung whose condition holds, else `other`."""
    return np.select([cond for cond, _ in rungs], [code for _, code in rungs], other)


def clean_customers(raw: pd.DataFrame, aliases: pd.DataFrame) -> pd.DataFrame:
    regions = pd.read_csv(SEEDS_DIR / "province_regions.csv", dtype=str)
    df = raw.assign(
        customer_id=clean(raw["customer_id"]),
        employees=whole_numbers(raw["employee_count"]),
        created=timestamps(raw["created_at"]),
        updated=timestamps(raw["updated_at"]),
    )
    valid = (
        df["customer_id"].notna()
        & df["updated"].notna()
        & ~(df["created_at"].notna() & df["created"].isna())
        & ~(df["employee_count"].notna() & df["employees"].isna())
        & ~(df["employees"] < 0)
    )
    df = newest(df[valid], "customer_id", ["updated"])
    return pd.DataFrame(
        {
            "customer_id": df["customer_id"],
            "customer_type": codes(df["customer_type"], "customer_type", aliases),
            "industry": codes(df["industry"], "industry", aliases),
            "employees": df["employees"],
            "region": clean(df["province"])
            .str.lower()
            .map(regions.set_index("alias")["region"]),
            "decision_role": codes(df["decision_role"], "decision_role", aliases),
        }
    ).fillna(
        {
            "customer_type": "other",
            "industry": "other",
            "region": "other",
            "decision_role": "unknown",
        }
    )


def clean_orders(
    raw: pd.DataFrame, customers: pd.Index, aliases: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    df = raw.assign(
        order_id=clean(raw["order_id"]),
        customer_id=clean(raw["customer_id"]),
        order_date=dates(raw["order_date"]),
        category=clean(raw["product_category"])
        .str.lower()
        .str.replace(" ", "_")
        .fillna("unknown"),
        cents=(numbers(raw["amount"]) * 100).round(),
        cost_cents=(numbers(raw["cost"]) * 100).round(),
        promotion_id=clean(raw["promotion_id"]),
        status=codes(raw["status"], "order_status", aliases),
        updated=timestamps(raw["updated_at"]),
    )
    valid = (
        df["order_id"].notna()
        & df["updated"].notna()
        & (df["cents"] >= 0)
        & (df["cost_cents"] >= 0)
        & df["status"].notna()
        & (df["order_date"] <= pd.Timestamp(as_of))
        & df["customer_id"].isin(customers)
    )
    return newest(df[valid], "order_id", ["updated"])


def clean_promotions(raw: pd.DataFrame) -> pd.DataFrame:
    df = raw.assign(
        promotion_id=clean(raw["promotion_id"]),
        start=dates(raw["start_date"]),
        end=dates(raw["end_date"]),
        rate=numbers(raw["discount_rate"]),
    )
    valid = (
        df["promotion_id"].notna()
        & (df["end"] >= df["start"])
        & ~(df["discount_rate"].notna() & df["rate"].isna())
        & ~((df["rate"] < 0) | (df["rate"] > 1))
    )
    return newest(df[valid], "promotion_id", [])[["promotion_id", "start", "end"]]


def clean_interactions(
    raw: pd.DataFrame, customers: pd.Index, aliases: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    df = raw.assign(
        interaction_id=clean(raw["interaction_id"]),
        customer_id=clean(raw["customer_id"]),
        day=timestamps(raw["occurred_at"]).dt.normalize(),
        rating=whole_numbers(raw["satisfaction"]),
        channel=codes(raw["channel"], "channel", aliases).fillna("other"),
        kind=codes(raw["interaction_type"], "interaction_type", aliases),
    )
    valid = (
        df["interaction_id"].notna()
        & df["day"].notna()
        & ~(df["satisfaction"].notna() & df["rating"].isna())
        & ~((df["rating"] < 1) | (df["rating"] > 5))
        & (df["day"] <= pd.Timestamp(as_of))
        & df["customer_id"].isin(customers)
    )
    return newest(df[valid], "interaction_id", [])


def first_by(
    frame: pd.DataFrame, value: str, order: list[str], asc: list[bool]
) -> pd.Series:
    """Per customer, `value` of the first row by `order`."""
    ordered = frame.sort_values(["customer_id", *order], ascending=[True, *asc])
    return ordered.drop_duplicates("customer_id").set_index("customer_id")[value]


def pandas_tags(raw_dir: Path, as_of: dt.date) -> pd.DataFrame:
    """Every rule-based tag (ltv aside) of every clean customer, one row each."""
    raw_dir = Path(raw_dir)
    aliases = pd.read_csv(SEEDS_DIR / "code_aliases.csv", dtype=str)
    customers = clean_customers(read(raw_dir, "customers"), aliases)
    ids = pd.Index(customers["customer_id"])
    orders = clean_orders(read(raw_dir, "orders"), ids, aliases, as_of)
    promotions = clean_promotions(read(raw_dir, "promotions"))
    service = clean_interactions(
        read(raw_dir, "service_interactions"), ids, aliases, as_of
    )

    as_of_ts = pd.Timestamp(as_of)
    valid = orders[orders["status"] == "completed"].copy()
    valid["days"] = (as_of_ts - valid["order_date"]).dt.days
    window = valid[valid["days"] < WINDOW_DAYS].merge(
        promotions, on="promotion_id", how="left"
    )
    window["promo"] = window["order_date"].between(window["start"], window["end"])
    per_category = window.groupby(["customer_id", "category"], as_index=False).agg(
        n=("order_id", "size"), cents=("cents", "sum")
    )
    service = service[(as_of_ts - service["day"]).dt.days < WINDOW_DAYS]
    channels = service.groupby(["customer_id", "channel"], as_index=False).size()

    m = customers.set_index("customer_id")
    m["recency_days"] = valid.groupby("customer_id")["days"].min()
    m["first_days"] = valid.groupby("customer_id")["days"].max()
    by_customer = window.groupby("customer_id")
    m["f"] = by_customer.size()
    m["cents"] = by_customer["cents"].sum()
    m["profit"] = m["cents"] - by_customer["cost_cents"].sum()
    m["promo"] = by_customer["promo"].sum()
    m["preference"] = first_by(
        per_category, "category", ["n", "cents", "category"], [False, False, True]
    )
    m["channel"] = first_by(channels, "channel", ["size", "channel"], [False, True])
    m["complaints_n"] = (
        (service["kind"] == "complaint").groupby(service["customer_id"]).sum()
    )
    m["rated"] = service.groupby("customer_id")["rating"].count()
    m["rating_sum"] = service.groupby("customer_id")["rating"].sum()
    m = m.fillna(
        {
            "f": 0,
            "cents": 0,
            "profit": 0,
            "promo": 0,
            "complaints_n": 0,
            "rated": 0,
            "rating_sum": 0,
        }
    )

    ever = m["recency_days"].notna()
    r, f, cents = m["recency_days"], m["f"], m["cents"]
    m["company_size"] = band(
        [
            (m["customer_type"] == "individual", "not_applicable"),
            (m["employees"].isna(), "unknown"),
            (m["employees"] < 100, "small_micro"),
            (m["employees"] <= 500, "medium"),
        ],
        "large",
    )
    m["purchase_frequency"] = band([(f >= 12, "high"), (f >= 4, "medium")], "low")
    m["recency"] = band(
        [
            (~ever, "never"),
            (r <= 30, "within_30d"),
            (r <= 90, "d31_90"),
            (r <= 180, "d91_180"),
        ],
        "over_180d",
    )
    m["product_preference"] = m["preference"].fillna("none")
    m["r_score"] = band([(~ever, 0), (r <= 30, 5), (r <= 90, 3)], 1)
    m["f_score"] = band([(~ever, 0), (f >= 12, 5), (f >= 4, 3)], 1)
    m["m_score"] = band(
        [(~ever, 0), (cents >= 5_000_000, 5), (cents >= 1_000_000, 3)], 1
    )
    m["rfm_total"] = m["r_score"] + m["f_score"] + m["m_score"]
    total = m["rfm_total"]
    m["customer_level"] = band(
        [(total >= 9, "vip"), (total >= 6, "important"), (total >= 3, "ordinary")],
        "potential",
    )
    m["profit_contribution"] = band(
        [
            (cents <= 0, "unknown"),
            (10 * m["profit"] > 3 * cents, "high"),
            (10 * m["profit"] >= cents, "medium"),
        ],
        "low",
    )
    m["price_sensitivity"] = band(
        [
            (f == 0, "unknown"),
            (10 * m["promo"] > 8 * f, "high"),
            (2 * m["promo"] >= f, "medium"),
        ],
        "low",
    )
    m["service_preference"] = m["channel"].fillna("unknown")
    m["lifecycle_stage"] = band(
        [
            (~ever, "potential"),
            (m["first_days"] <= 90, "new"),
            (r <= 180, "active"),
            (r <= 365, "at_risk"),
        ],
        "churned",
    )
    n = m["complaints_n"]
    m["complaints"] = band([(n == 0, "none"), (n < 2, "one")], "multiple")
    rated, rating_sum = m["rated"], m["rating_sum"]
    m["satisfaction"] = band(
        [
            (rated == 0, "unknown"),
            (2 * rating_sum >= 9 * rated, "very_satisfied"),
            (2 * rating_sum >= 7 * rated, "satisfied"),
        ],
        "dissatisfied",
    )
    return m[list(TAG_COLUMNS)].sort_index()
