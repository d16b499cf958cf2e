"""The customer tags in Polars (lazy, streaming): the benchmark's second peer
(scripts/benchmark.py), the same rules as the pandas one
(tag_warehouse/devtools/pandas_tags.py) and checked identical to the marts in the
same run.

It reads the four raw Parquet files, text or typed (a typed column is used as it
is, a text one parsed), applies the staging rules that decide which rows count
(text cleaning, code aliases, reject checks, newest valid version wins), then
every rule-based tag of the spec (ltv aside) with the default thresholds. The
simplifications of the pandas peer apply: amounts in whole cents, the date and
number spellings the generator writes, zones converted to UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import polars as pl

from tag_warehouse.devtools.pandas_tags import (
    SEEDS_DIR,
    STRIP,
    TAG_COLUMNS,
    WINDOW_DAYS,
)

TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y-%m-%d",
)


def clean(name: str) -> pl.Expr:
    """Trimmed text, blank -> null."""
    text = pl.col(name).cast(pl.String).str.strip_chars(STRIP)
    return pl.when(text == "").then(None).otherwise(text)


def timestamps(name: str, schema: pl.Schema) -> pl.Expr:
    dtype = schema[name]
    if isinstance(dtype, pl.Datetime):
        value = pl.col(name)
        if dtype.time_zone is not None:
            value = value.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return value.cast(pl.Datetime("us"))
    if dtype == pl.Date:
        return pl.col(name).cast(pl.Datetime("us"))
    text = clean(name)
    return pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%z", strict=False)
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
        .cast(pl.Datetime("us")),
        *(
            text.str.strptime(pl.Datetime("us"), form, strict=False)
            for form in TIMESTAMP_FORMATS
        ),
    )


def dates(name: str, schema: pl.Schema) -> pl.Expr:
    return timestamps(name, schema).dt.truncate("1d")


def numbers(name: str, schema: pl.Schema) -> pl.Expr:
    if schema[name].is_numeric():
        return pl.col(name).cast(pl.Float64)
    stripped = clean(name).str.replace_all(r"[,¥￥$ ]", "")
    return stripped.cast(pl.Float64, strict=False)


def whole_numbers(name: str, schema: pl.Schema) -> pl.Expr:
    value = numbers(name, schema)
    return pl.when(value == value.floor()).then(value)


def codes(name: str, domain: str, aliases: pl.DataFrame) -> pl.Expr:
    mapping = aliases.filter(pl.col("domain") == domain)
    return (
        clean(name)
        .str.to_lowercase()
        .replace_strict(mapping["alias"], mapping["code"], default=None)
    )


def true(condition: pl.Expr) -> pl.Expr:
    """The condition with null as false (pandas compares NaN as false)."""
    return condition.fill_null(False)


def newest(frame: pl.LazyFrame, key: str, order: Sequence[str]) -> pl.LazyFrame:
    """The newest row of each key: the last by `order` (ties: later row)."""
    return frame.sort([*order, "row"]).unique(key, keep="last")


def read(raw_dir: Path, name: str) -> pl.LazyFrame:
    return pl.scan_parquet(raw_dir / f"{name}.parquet").with_row_index("row")


def band(rungs: list[tuple[pl.Expr, object]], other: object) -> pl.Expr:
    """The code of the first rung whose condition holds, else `other`."""
    condition, code = rungs[0]
    chain = pl.when(true(condition)).then(pl.lit(code))
    for condition, code in rungs[1:]:
        chain = chain.when(true(condition)).then(pl.lit(code))
    return chain.otherwise(pl.lit(other))


def clean_customers(raw: pl.LazyFrame, aliases: pl.DataFrame) -> pl.LazyFrame:
    schema = raw.collect_schema()
    regions = pl.read_csv(SEEDS_DIR / "province_regions.csv", infer_schema=False)
    df = raw.with_columns(
        customer_id=clean("customer_id"),
        employees=whole_numbers("employee_count", schema),
        created=timestamps("created_at", schema),
        updated=timestamps("updated_at", schema),
    )
    valid = (
        pl.col("customer_id").is_not_null()
        & pl.col("updated").is_not_null()
        & ~(pl.col("created_at").is_not_null() & pl.col("created").is_null())
        & ~(pl.col("employee_count").is_not_null() & pl.col("employees").is_null())
        & ~true(pl.col("employees") < 0)
    )
    df = newest(df.filter(valid), "customer_id", ["updated"])
    return df.select(
        "customer_id",
        codes("customer_type", "customer_type", aliases)
        .fill_null("other")
        .alias("customer_type"),
        codes("industry", "industry", aliases).fill_null("other").alias("industry"),
        "employees",
        clean("province")
        .str.to_lowercase()
        .replace_strict(regions["alias"], regions["region"], default="other")
        .alias("region"),
        codes("decision_role", "decision_role", aliases)
        .fill_null("unknown")
        .alias("decision_role"),
    )


def clean_orders(
    raw: pl.LazyFrame, customers: pl.LazyFrame, aliases: pl.DataFrame, as_of: dt.date
) -> pl.LazyFrame:
    schema = raw.collect_schema()
    df = raw.with_columns(
        order_id=clean("order_id"),
        customer_id=clean("customer_id"),
        order_date=dates("order_date", schema),
        category=clean("product_category")
        .str.to_lowercase()
        .str.replace_all(" ", "_", literal=True)
        .fill_null("unknown"),
        cents=(numbers("amount", schema) * 100).round(),
        cost_cents=(numbers("cost", schema) * 100).round(),
        promotion_id=clean("promotion_id"),
        status=codes("status", "order_status", aliases),
        updated=timestamps("updated_at", schema),
    )
    valid = (
        pl.col("order_id").is_not_null()
        & pl.col("updated").is_not_null()
        & true(pl.col("cents") >= 0)
        & true(pl.col("cost_cents") >= 0)
        & pl.col("status").is_not_null()
        & true(pl.col("order_date") <= pl.lit(as_of).cast(pl.Datetime("us")))
    )
    df = df.filter(valid).join(
        customers.select("customer_id"), on="customer_id", how="semi"
    )
    return newest(df, "order_id", ["updated"])


def clean_promotions(raw: pl.LazyFrame) -> pl.LazyFrame:
    schema = raw.collect_schema()
    df = raw.with_columns(
        promotion_id=clean("promotion_id"),
        start=dates("start_date", schema),
        end=dates("end_date", schema),
        rate=numbers("discount_rate", schema),
    )
    valid = (
        pl.col("promotion_id").is_not_null()
        & true(pl.col("end") >= pl.col("start"))
        & ~(pl.col("discount_rate").is_not_null() & pl.col("rate").is_null())
        & ~true((pl.col("rate") < 0) | (pl.col("rate") > 1))
    )
    return newest(df.filter(valid), "promotion_id", []).select(
        "promotion_id", "start", "end"
    )


def clean_interactions(
    raw: pl.LazyFrame, customers: pl.LazyFrame, aliases: pl.DataFrame, as_of: dt.date
) -> pl.LazyFrame:
    schema = raw.collect_schema()
    df = raw.with_columns(
        interaction_id=clean("interaction_id"),
        customer_id=clean("customer_id"),
        day=dates("occurred_at", schema),
        rating=whole_numbers("satisfaction", schema),
        channel=codes("channel", "channel", aliases).fill_null("other"),
        kind=codes("interaction_type", "interaction_type", aliases),
    )
    valid = (
        pl.col("interaction_id").is_not_null()
        & pl.col("day").is_not_null()
        & ~(pl.col("satisfaction").is_not_null() & pl.col("rating").is_null())
        & ~true((pl.col("rating") < 1) | (pl.col("rating") > 5))
        & true(pl.col("day") <= pl.lit(as_of).cast(pl.Datetime("us")))
    )
    df = df.filter(valid).join(
        customers.select("customer_id"), on="customer_id", how="semi"
    )
    return newest(df, "interaction_id", [])


def first_by(
    frame: pl.LazyFrame, value: str, order: list[str], descending: list[bool]
) -> pl.LazyFrame:
    """Per customer, `value` of the first row by `order`."""
    return frame.group_by("customer_id").agg(
        pl.col(value).sort_by(order, descending=descending).first()
    )


def polars_tags(raw_dir: Path, as_of: dt.date) -> pd.DataFrame:
    """Every rule-based tag (ltv aside) of every clean customer, one row each
    (a pandas frame indexed by customer_id, as pandas_tags returns)."""
    raw_dir = Path(raw_dir)
    aliases = pl.read_csv(SEEDS_DIR / "code_aliases.csv", infer_schema=False)
    customers = clean_customers(read(raw_dir, "customers"), aliases).collect(
        engine="streaming"
    )
    ids = customers.lazy()
    orders = clean_orders(read(raw_dir, "orders"), ids, aliases, as_of)
    promotions = clean_promotions(read(raw_dir, "promotions"))
    service = clean_interactions(
        read(raw_dir, "service_interactions"), ids, aliases, as_of
    )

    as_of_ts = pl.lit(as_of).cast(pl.Datetime("us"))
    valid = orders.filter(pl.col("status") == "completed").with_columns(
        days=(as_of_ts - pl.col("order_date")).dt.total_days()
    )
    window = (
        valid.filter(pl.col("days") < WINDOW_DAYS)
        .join(promotions, on="promotion_id", how="left")
        .with_columns(
            promo=true(pl.col("order_date").is_between(pl.col("start"), pl.col("end")))
        )
    )
    per_category = window.group_by("customer_id", "category").agg(
        n=pl.len(), cents=pl.col("cents").sum()
    )
    service = service.filter((as_of_ts - pl.col("day")).dt.total_days() < WINDOW_DAYS)
    channels = service.group_by("customer_id", "channel").agg(size=pl.len())

    parts = [
        valid.group_by("customer_id").agg(
            recency_days=pl.col("days").min(), first_days=pl.col("days").max()
        ),
        window.group_by("customer_id").agg(
            f=pl.len(),
            cents=pl.col("cents").sum(),
            cost_cents=pl.col("cost_cents").sum(),
            promo=pl.col("promo").sum(),
        ),
        first_by(
            per_category, "category", ["n", "cents", "category"], [True, True, False]
        ).rename({"category": "preference"}),
        first_by(channels, "channel", ["size", "channel"], [True, False]).rename(
            {"channel": "preferred_channel"}
        ),
        service.group_by("customer_id").agg(
            complaints_n=(pl.col("kind") == "complaint").fill_null(False).sum(),
            rated=pl.col("rating").count(),
            rating_sum=pl.col("rating").sum(),
        ),
    ]
    m = ids
    for part in parts:
        m = m.join(part, on="customer_id", how="left")
    m = m.with_columns(
        pl.col("f", "cents", "cost_cents", "promo", "complaints_n", "rated").fill_null(
            0
        ),
        pl.col("rating_sum").fill_null(0.0),
    ).with_columns(profit=pl.col("cents") - pl.col("cost_cents"))

    ever = pl.col("recency_days").is_not_null()
    r, f, cents = pl.col("recency_days"), pl.col("f"), pl.col("cents")
    m = m.with_columns(
        company_size=band(
            [
                (pl.col("customer_type") == "individual", "not_applicable"),
                (pl.col("employees").is_null(), "unknown"),
                (pl.col("employees") < 100, "small_micro"),
                (pl.col("employees") <= 500, "medium"),
            ],
            "large",
        ),
        purchase_frequency=band([(f >= 12, "high"), (f >= 4, "medium")], "low"),
        recency=band(
            [
                (~ever, "never"),
                (r <= 30, "within_30d"),
                (r <= 90, "d31_90"),
                (r <= 180, "d91_180"),
            ],
            "over_180d",
        ),
        product_preference=pl.col("preference").fill_null("none"),
        r_score=band([(~ever, 0), (r <= 30, 5), (r <= 90, 3)], 1),
        f_score=band([(~ever, 0), (f >= 12, 5), (f >= 4, 3)], 1),
        m_score=band([(~ever, 0), (cents >= 5_000_000, 5), (cents >= 1_000_000, 3)], 1),
        profit_contribution=band(
            [
                (cents <= 0, "unknown"),
                (10 * pl.col("profit") > 3 * cents, "high"),
                (10 * pl.col("profit") >= cents, "medium"),
            ],
            "low",
        ),
        price_sensitivity=band(
            [
                (f == 0, "unknown"),
                (10 * pl.col("promo") > 8 * f, "high"),
                (2 * pl.col("promo") >= f, "medium"),
            ],
            "low",
        ),
        service_preference=pl.col("preferred_channel").fill_null("unknown"),
        lifecycle_stage=band(
            [
                (~ever, "potential"),
                (pl.col("first_days") <= 90, "new"),
                (r <= 180, "active"),
                (r <= 365, "at_risk"),
            ],
            "churned",
        ),
        complaints=band(
            [
                (pl.col("complaints_n") == 0, "none"),
                (pl.col("complaints_n") < 2, "one"),
            ],
            "multiple",
        ),
        satisfaction=band(
            [
                (pl.col("rated") == 0, "unknown"),
                (2 * pl.col("rating_sum") >= 9 * pl.col("rated"), "very_satisfied"),
                (2 * pl.col("rating_sum") >= 7 * pl.col("rated"), "satisfied"),
            ],
            "dissatisfied",
        ),
    )
    m = m.with_columns(
        rfm_total=pl.col("r_score") + pl.col("f_score") + pl.col("m_score")
    )
    total = pl.col("rfm_total")
    m = m.with_columns(
        customer_level=band(
            [(total >= 9, "vip"), (total >= 6, "important"), (total >= 3, "ordinary")],
            "potential",
        )
    )
    frame = m.select("customer_id", *TAG_COLUMNS).collect(engine="streaming")
    return frame.to_pandas().set_index("customer_id").sort_index()
