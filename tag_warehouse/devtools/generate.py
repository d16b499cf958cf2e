"""Deterministic, vectorised synthetic CRM data for the customer tag warehouse.

`generate` builds the four raw tables of the input contract (tag-rules.md section 1)
as pyarrow tables whose columns are all strings; `write` stores them as Parquet or
CSV. With ``dirty_rate > 0`` realistic dirt is planted on top of the clean rows (the
clean rows themselves do not change) and counted in a manifest, see `DIRT_KINDS`.

Clean data: unique trimmed keys, canonical lower-case codes, every date parseable and
<= as_of (timestamps <= as_of 12:00), amounts and costs > 0, all references valid.
Same arguments give byte-identical files; no wall clock is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = [
    "COLUMNS",
    "DIRT_KINDS",
    "INVALID_STATUSES",
    "KEYS",
    "MANIFEST_NAME",
    "TABLE_NAMES",
    "Manifest",
    "SPEND_MIXES",
    "SpendMix",
    "CHUNK_CUSTOMERS",
    "generate",
    "generate_chunks",
    "generate_with_manifest",
    "load_seeds",
    "write",
    "write_chunks",
]

Format = Literal["parquet", "csv", "typed"]
FORMATS: tuple[Format, ...] = ("parquet", "csv", "typed")
# The typed Parquet variant ("typed"): the contract columns that have a type in the
# spec (section 1) as that type, every other column text. The timestamps are naive
# wall-clock times, as the text is.
TYPED_COLUMNS: dict[str, pa.DataType] = {
    "created_at": pa.timestamp("s"),
    "updated_at": pa.timestamp("s"),
    "occurred_at": pa.timestamp("s"),
    "order_date": pa.date32(),
    "start_date": pa.date32(),
    "end_date": pa.date32(),
    "amount": pa.decimal128(18, 2),
    "cost": pa.decimal128(18, 2),
    "discount_rate": pa.decimal128(18, 2),
    "employee_count": pa.int64(),
    "satisfaction": pa.int64(),
}
_TYPED_FORMATS = {"timestamp": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d"}  # as written
_NUMBER_TEXT = r"^-?\d+(\.\d+)?$"  # a number as the generator writes it
# "standard": the demo's spend, one the Gamma-Gamma model fits as it is.
# "b2c_b2b": a consumer base with business accounts beside it (see MIXED_*).
SpendMix = Literal["standard", "b2c_b2b"]
SPEND_MIXES: tuple[str, ...] = ("standard", "b2c_b2b")
Manifest = dict[str, dict[str, int]]
Progress = Callable[[str, int, float], None]

TABLE_NAMES = ("customers", "orders", "promotions", "service_interactions")
COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id",
        "customer_name",
        "customer_type",
        "industry",
        "employee_count",
        "province",
        "city",
        "phone",
        "email",
        "decision_role",
        "created_at",
        "updated_at",
    ),
    "orders": (
        "order_id",
        "customer_id",
        "order_date",
        "product_category",
        "amount",
        "cost",
        "promotion_id",
        "status",
        "updated_at",
    ),
    "promotions": (
        "promotion_id",
        "promotion_name",
        "promotion_type",
        "start_date",
        "end_date",
        "discount_rate",
    ),
    "service_interactions": (
        "interaction_id",
        "customer_id",
        "occurred_at",
        "channel",
        "interaction_type",
        "satisfaction",
    ),
}
KEYS = {
    "customers": "customer_id",
    "orders": "order_id",
    "promotions": "promotion_id",
    "service_interactions": "interaction_id",
}
# Dirt kinds per table. Each kind takes its own rows (disjoint); all kinds together
# touch about dirty_rate x rows of the table (at most MAX_DIRT_SHARE of the rows).
# Extra rows (the clean rows stay as they are):
#   duplicate_version  a copy of a key with a strictly later updated_at and a changed
#                      field (customers: city; orders: status, or amount and cost)
#   exact_duplicate    a copy identical in every column
#   null_or_blank_key  a copy whose key is null, '', ' ' or '   '
# Rows changed in place (invalid unless marked valid):
#   unknown_customer_id       'C9xxxxxxxx' style ids that do not exist
#   negative_amount_or_cost   '-' put before amount or cost
#   non_numeric_amount        'abc', 'N/A', ...
#   malformed_*               '2025-13-45', 'not a date', '31/31/2024', ...
#   future_order_date         order_date 30..400 days after as_of
#   invalid_status            'pending??', ...
#   end_before_start          end_date 1..10 days before start_date
#   discount_out_of_range     discount_rate outside 0..1
#   satisfaction_out_of_range 0, 6, 7, 10, -1
#   code_alias         (valid) codes as seed aliases, UPPER or Title case ('已完成')
#   stray_whitespace   (valid) spaces around ids and codes ('  C00000012 ')
#   unknown_promotion_id (valid order, not a promo order) 'P99xx'
DIRT_KINDS: dict[str, tuple[str, ...]] = {
    "customers": (
        "duplicate_version",
        "exact_duplicate",
        "null_or_blank_key",
        "code_alias",
        "stray_whitespace",
    ),
    "orders": (
        "duplicate_version",
        "exact_duplicate",
        "null_or_blank_key",
        "unknown_customer_id",
        "negative_amount_or_cost",
        "non_numeric_amount",
        "malformed_order_date",
        "malformed_updated_at",
        "future_order_date",
        "code_alias",
        "invalid_status",
        "stray_whitespace",
        "unknown_promotion_id",
    ),
    "promotions": (
        "exact_duplicate",
        "null_or_blank_key",
        "malformed_date",
        "end_before_start",
        "discount_out_of_range",
        "stray_whitespace",
    ),
    "service_interactions": (
        "exact_duplicate",
        "null_or_blank_key",
        "unknown_customer_id",
        "malformed_occurred_at",
        "code_alias",
        "stray_whitespace",
        "satisfaction_out_of_range",
    ),
}
MANIFEST_NAME = "_dirt_manifest.json"
# Rows per Parquet row group: DuckDB's own. DuckDB reads a Parquet file on as many
# threads as it has row groups, so pyarrow's default (about a million rows) left the
# 700 thousand customers of the 10 million orders benchmark in one group, parsed on
# one thread (docs/performance.md).
PARQUET_ROW_GROUP_ROWS = 122_880
# Customers per chunk of generate_chunks: about ORDERS_PER_CUSTOMER x this many orders
# (10 million at most a 3-year history), 3-4 GB of memory per chunk. Above it
# scripts/generate_data.py generates and writes chunk by chunk (100 million orders
# in memory at once took about 40 GB); at or below it, in one piece as always.
CHUNK_CUSTOMERS = 1_000_000
SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"

CUSTOMER_TYPES = ("individual", "enterprise", "government")
CUSTOMER_TYPE_P = (0.60, 0.33, 0.07)
DECISION_ROLES = ("decision_maker", "influencer", "user", "purchaser")
DECISION_ROLE_P = (0.25, 0.15, 0.25, 0.20)  # the remaining 0.15 stay empty
ORDER_STATUSES = ("completed", "cancelled", "refunded")
ORDER_STATUS_P = (0.88, 0.07, 0.05)
CHANNELS = ("phone", "online", "account_manager", "email", "other")
CHANNEL_P = (  # rows: customer type
    (0.35, 0.45, 0.02, 0.10, 0.08),
    (0.25, 0.25, 0.30, 0.15, 0.05),
    (0.30, 0.15, 0.35, 0.15, 0.05),
)
INTERACTION_TYPES = ("consultation", "complaint", "after_sales", "other")
INTERACTION_TYPE_P = (0.50, 0.15, 0.30, 0.05)
SATISFACTION_P = (  # scores 1..5; complaint rows, then the other rows
    (0.30, 0.30, 0.25, 0.10, 0.05),
    (0.02, 0.05, 0.18, 0.35, 0.40),
)
PRODUCT_CATEGORIES = (
    "office_supplies",
    "electronics",
    "furniture",
    "software",
    "services",
    "consumables",
    "apparel",
    "food",
)
CATEGORY_P = (  # rows: customer type
    (0.08, 0.20, 0.05, 0.04, 0.03, 0.15, 0.25, 0.20),
    (0.25, 0.15, 0.08, 0.14, 0.12, 0.18, 0.03, 0.05),
    (0.25, 0.12, 0.10, 0.12, 0.15, 0.20, 0.02, 0.04),
)
CATEGORY_PRICE = (0.8, 1.3, 1.4, 1.6, 1.5, 0.7, 0.9, 0.6)
PROMOTION_TYPES = ("discount", "coupon", "bundle", "flash_sale")
PROMOTION_TYPE_P = (0.35, 0.30, 0.15, 0.20)
PROMOTION_TYPE_LABELS = ("满减", "优惠券", "组合套装", "限时秒杀")
PROMOTION_MONTH_LABELS = (
    "新年特惠",
    "春节特卖",
    "春季上新",
    "春日焕新",
    "五一特惠",
    "618年中大促",
    "暑期特惠",
    "夏末清仓",
    "开学季",
    "国庆黄金周",
    "双11狂欢节",
    "年终盛典",
)
# Order seasonality by month (Jan..Dec): peaks in June and November, low in February.
MONTH_WEIGHT = (0.9, 0.6, 0.95, 1.0, 1.05, 1.5, 0.95, 0.95, 1.0, 1.05, 1.7, 1.2)

ORDERS_PER_CUSTOMER = 14.0  # mean over all customers, for years=3 (scales with years)
INTERACTIONS_PER_CUSTOMER = 2.0  # likewise
ORDER_RATE_BY_TYPE = (0.8, 1.6, 1.3)
INTERACTION_RATE_BY_TYPE = (0.8, 1.6, 1.4)
# Spend levels are chosen so the spend-per-purchase distribution is one the
# Gamma-Gamma LTV model can fit (q > 1); a wider type or category spread makes
# spend too heavy-tailed for it (see docs/tags.md, Predicted LTV).
SPEND_MEDIAN_BY_TYPE = (1000.0, 2500.0, 3500.0)  # per order, before category factor
# Per-customer spend level ~ Gamma(shape, 1/shape): mean 1, the between-customer
# heterogeneity the Gamma-Gamma spend model assumes.
SPEND_LEVEL_SHAPE = 5.0
ORDER_SPREAD_SIGMA = 0.3  # log-normal spread of one order around the level
# spend_mix "b2c_b2b": mostly consumers buying for a few hundred, beside business and
# government accounts buying for tens of thousands, each customer at its own spend
# scale (log-normal around the type's median). A single Gamma-Gamma spend model
# fitted on it as it is gives q <= 1 (heavy right tail of mean spend per customer).
MIXED_CUSTOMER_TYPE_P = (0.85, 0.12, 0.03)
MIXED_SPEND_MEDIAN_BY_TYPE = (300.0, 20000.0, 30000.0)  # per order
MIXED_SPEND_LEVEL_SIGMA = 0.8  # log-normal sd of the per-customer spend level
PROSPECT_SHARE = 0.08  # customers who never order
CHURN_SHARE = 0.35  # customers who stop ordering at some point before as_of

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN_CHARS = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红玲芬燕飞鹏浩宇轩然涵晨欣怡博文佳琪雨婷俊"
)
BRAND_CHARS = list("华盛达鑫恒创远泰联通安新宏金博锐腾瑞嘉智云星海天")
BUSINESS_WORDS = (
    "科技",
    "贸易",
    "实业",
    "制造",
    "信息技术",
    "电子",
    "物流",
    "医药",
    "建设",
    "食品",
)
COMPANY_SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司")
AGENCIES = (
    "市教育局",
    "市人民医院",
    "市交通运输局",
    "市财政局",
    "市卫生健康委员会",
    "区人民政府",
    "市图书馆",
    "市第一中学",
    "市市场监督管理局",
)
UNMAPPED_INDUSTRIES = ("咨询", "Consulting", "传媒", "media", "其他行业")
EMAIL_DOMAINS = ("example.com", "example.cn", "example.net")
PHONE_PREFIXES = (
    *range(130, 140),
    *range(150, 154),
    *range(155, 160),
    166,
    *range(175, 179),
    *range(180, 190),
    198,
    199,
)
PROVINCE_CITIES: dict[str, tuple[str, ...]] = {
    "上海": ("上海",),
    "江苏": ("南京", "苏州", "无锡", "常州"),
    "浙江": ("杭州", "宁波", "温州", "绍兴"),
    "安徽": ("合肥", "芜湖"),
    "福建": ("福州", "厦门", "泉州"),
    "江西": ("南昌", "赣州"),
    "山东": ("济南", "青岛", "烟台"),
    "台湾": ("台北", "高雄"),
    "广东": ("广州", "深圳", "东莞", "佛山"),
    "广西": ("南宁", "桂林"),
    "海南": ("海口", "三亚"),
    "香港": ("香港",),
    "澳门": ("澳门",),
    "北京": ("北京",),
    "天津": ("天津",),
    "河北": ("石家庄", "唐山"),
    "山西": ("太原", "大同"),
    "内蒙古": ("呼和浩特", "包头"),
    "河南": ("郑州", "洛阳"),
    "湖北": ("武汉", "宜昌"),
    "湖南": ("长沙", "株洲"),
    "重庆": ("重庆",),
    "四川": ("成都", "绵阳"),
    "贵州": ("贵阳", "遵义"),
    "云南": ("昆明", "大理"),
    "西藏": ("拉萨",),
    "陕西": ("西安", "宝鸡"),
    "甘肃": ("兰州", "天水"),
    "青海": ("西宁",),
    "宁夏": ("银川",),
    "新疆": ("乌鲁木齐", "喀什"),
    "辽宁": ("沈阳", "大连"),
    "吉林": ("长春", "吉林"),
    "黑龙江": ("哈尔滨", "大庆"),
}
REGION_WEIGHT = {
    "east_china": 3.0,
    "south_china": 2.5,
    "north_china": 1.5,
    "central_china": 1.2,
    "southwest": 1.0,
    "northeast": 0.6,
    "northwest": 0.5,
}
PROVINCE_BOOST = {"广东": 2.0, "浙江": 2.0, "江苏": 2.0, "上海": 2.0, "北京": 2.0}
PROVINCE_DAMP = {"台湾": 0.1, "香港": 0.2, "澳门": 0.1}
INDUSTRY_WEIGHT = {
    "manufacturing": 3.0,
    "retail": 2.0,
    "technology": 2.5,
    "finance": 1.0,
    "healthcare": 1.0,
    "education": 0.8,
    "real_estate": 0.7,
    "logistics": 1.0,
    "energy": 0.5,
    "agriculture": 0.5,
    "public_sector": 0.4,
}

MALFORMED_DATES = ("2025-13-45", "not a date", "31/31/2024", "2024-02-30", "N/A")
MALFORMED_TIMESTAMPS = (
    "2025-13-45 25:61:00",
    "not a timestamp",
    "31/31/2024 10:00",
    "2024-02-30 12:00:00",
    "yesterday",
)
INVALID_STATUSES = ("pending??", "unknown", "shipped?", "???")
NON_NUMERIC_AMOUNTS = ("abc", "N/A", "12,5O", "1OO", "--")  # ¥100 would parse: valid
BAD_DISCOUNT_RATES = ("1.5", "-0.1", "2.00", "-0.25", "150")
BAD_SATISFACTION = ("0", "7", "6", "-1", "10")
BLANK_KEYS = ("", "   ", " ")  # plus null
PADDING = (("  ", " "), (" ", ""), ("", " "), ("", "  "), ("  ", ""))
MAX_DIRT_SHARE = 0.9  # all dirt kinds of a table together take at most this share

DAY = 86_400
CAP_HOUR = 12  # clean timestamps end at as_of 12:00; later versions fit before 24:00
EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Seeds:
    """The accepted spellings read from the warehouse seeds."""

    aliases: dict[str, dict[str, tuple[str, ...]]]  # domain -> code -> aliases
    provinces: tuple[tuple[str, str, str], ...]  # (alias, province, region)


@dataclass(frozen=True)
class _Period:
    first_day: int  # days since epoch
    last_day: int  # as_of, days since epoch
    years: float

    @property
    def cap(self) -> int:
        """Latest timestamp of clean data (seconds since epoch)."""
        return self.last_day * DAY + CAP_HOUR * 3600

    @property
    def end(self) -> int:
        """Last second of the as_of day."""
        return self.last_day * DAY + DAY - 1

    @property
    def n_days(self) -> int:
        return self.last_day - self.first_day + 1


@dataclass(frozen=True)
class _Customers:
    table: pa.Table
    ctype: np.ndarray  # index into CUSTOMER_TYPES
    created: np.ndarray  # seconds since epoch


@dataclass(frozen=True)
class _Promotions:
    table: pa.Table
    ids: pa.Array
    start: np.ndarray  # days since epoch
    end: np.ndarray
    rate: np.ndarray


# ---------------------------------------------------------------- seeds


@cache
def load_seeds(seeds_dir: Path = SEEDS_DIR) -> Seeds:
    """Read code_aliases.csv and province_regions.csv."""
    aliases: dict[str, dict[str, list[str]]] = {}
    with open(seeds_dir / "code_aliases.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            codes = aliases.setdefault(row["domain"], {})
            codes.setdefault(row["code"], []).append(row["alias"])
    with open(seeds_dir / "province_regions.csv", encoding="utf-8", newline="") as fh:
        provinces = tuple(
            (r["alias"], r["province"], r["region"]) for r in csv.DictReader(fh)
        )
    return Seeds(
        {d: {c: tuple(a) for c, a in codes.items()} for d, codes in aliases.items()},
        provinces,
    )


# ---------------------------------------------------------------- string helpers


def _strings(
    labels: Sequence[str], idx: np.ndarray, null: np.ndarray | None = None
) -> pa.Array:
    """labels[idx] as a string array; rows where `null` is true become null."""
    return pa.array(labels, pa.string()).take(pa.array(idx, mask=null))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _integers(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(values, mask=null).cast(pa.string())


def _money(cents: np.ndarray) -> pa.Array:
    """Integer hundredths as decimal strings with two places ('123.40')."""
    cents = np.ascontiguousarray(cents).astype(np.int64, copy=False)
    words = np.empty(2 * len(cents), dtype=np.int64)
    words[0::2] = cents
    words[1::2] = cents >> 63  # sign extension into the high word
    dec = pa.Array.from_buffers(
        pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words)]
    )
    return dec.cast(pa.string())


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.date32()).cast(pa.string())


def _timestamps(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype(np.int64), pa.timestamp("s")).cast(pa.string())


def _parse_seconds(values: pa.Array) -> np.ndarray:
    ts = pc.strptime(values, format="%Y-%m-%d %H:%M:%S", unit="s")
    return ts.cast(pa.int64()).to_numpy()


def _parse_days(values: pa.Array) -> np.ndarray:
    ts = pc.strptime(values, format="%Y-%m-%d", unit="s")
    return ts.cast(pa.int64()).to_numpy() // DAY


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _choice(rng: np.random.Generator, p: Sequence[float], size: int) -> np.ndarray:
    """Categorical draw of `size` indices with probabilities `p` (summing to 1)."""
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int32)


def _choice_by_group(
    rng: np.random.Generator, p: Sequence[Sequence[float]], group: np.ndarray
) -> np.ndarray:
    """Categorical draw per row, with the probability row chosen by `group`."""
    cdf = np.cumsum(np.asarray(p, dtype=np.float64), axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(group))
    out = np.empty(len(group), dtype=np.int32)
    for g in range(cdf.shape[0]):
        rows = group == g
        out[rows] = np.searchsorted(cdf[g], u[rows], side="right")
    return out


def _chronological(seconds: np.ndarray) -> np.ndarray:
    """Row order by time, ties by position: unique keys make any sort deterministic."""
    n = len(seconds)
    assert n == 0 or int(seconds.max()) < 2**62 // max(n, 1), "sort key overflow"
    return np.argsort(seconds.astype(np.int64) * n + np.arange(n))


def _month_and_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Month index 0..11 and day of month 1..31 of days since epoch."""
    d = days.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    return m.astype(np.int64) % 12, (d - m).astype(np.int64) + 1


def _season_weight(days: np.ndarray) -> np.ndarray:
    """Relative daily order volume: month profile plus 618 and Double 11 bumps."""
    month, dom = _month_and_day(days)
    w = np.asarray(MONTH_WEIGHT)[month]
    w *= np.where((month == 5) & (dom <= 18), 1.3, 1.0)
    w *= np.where((month == 10) & (dom <= 11), 1.5, 1.0)
    return w


# ---------------------------------------------------------------- clean tables


def _make_customers(
    rng: np.random.Generator,
    n: int,
    period: _Period,
    seeds: Seeds,
    spend_mix: SpendMix = "standard",
    first_number: int = 1,
) -> _Customers:
    """n customers numbered from first_number (C00000001 by default)."""
    start = period.first_day * DAY
    created = np.sort(start + (rng.random(n) ** 0.8 * (period.cap - start)))
    created = created.astype(np.int64)
    touched = rng.random(n) < 0.6
    updated = created + (touched * rng.random(n) * (period.cap - created)).astype(
        np.int64
    )
    type_p = MIXED_CUSTOMER_TYPE_P if spend_mix == "b2c_b2b" else CUSTOMER_TYPE_P
    ctype = _choice(rng, type_p, n)
    is_ind = ctype == 0

    # province alias weighted towards east/south China; city of that province
    aliases = [a for a, _, _ in seeds.provinces]
    provs = sorted({p for _, p, _ in seeds.provinces})
    n_alias = {p: sum(1 for _, q, _ in seeds.provinces if q == p) for p in provs}
    weights = []
    for alias, prov, region in seeds.provinces:
        w = REGION_WEIGHT.get(region, 0.5) * PROVINCE_BOOST.get(prov, 1.0)
        w *= PROVINCE_DAMP.get(prov, 1.0)
        share = 0.5 if alias == prov else 0.5 / max(1, n_alias[prov] - 1)
        weights.append(w * (share if n_alias[prov] > 1 else 1.0))
    alias_idx = _choice(rng, np.asarray(weights) / sum(weights), n)
    city_lists = [PROVINCE_CITIES.get(p, (p,)) for p in provs]
    flat_cities = [c for cs in city_lists for c in cs]
    offsets = np.cumsum([0] + [len(cs) for cs in city_lists])[:-1]
    counts = np.array([len(cs) for cs in city_lists])
    alias_prov = np.array([provs.index(p) for _, p, _ in seeds.provinces])
    prov_idx = alias_prov[alias_idx]
    city_idx = offsets[prov_idx] + (rng.random(n) * counts[prov_idx]).astype(int)
    city = _strings(flat_cities, city_idx)

    # names: people, companies, agencies
    given2 = _strings(GIVEN_CHARS + [""], _pick_or_last(rng, len(GIVEN_CHARS), 0.7, n))
    person = _join(
        _strings(SURNAMES, rng.integers(0, len(SURNAMES), n)),
        _strings(GIVEN_CHARS, rng.integers(0, len(GIVEN_CHARS), n)),
        given2,
    )
    company = _join(
        city,
        _strings(BRAND_CHARS, rng.integers(0, len(BRAND_CHARS), n)),
        _strings(BRAND_CHARS, rng.integers(0, len(BRAND_CHARS), n)),
        _strings(BUSINESS_WORDS, rng.integers(0, len(BUSINESS_WORDS), n)),
        _strings(COMPANY_SUFFIXES, rng.integers(0, len(COMPANY_SUFFIXES), n)),
    )
    agency = _join(city, _strings(AGENCIES, rng.integers(0, len(AGENCIES), n)))
    name = pc.if_else(is_ind, person, pc.if_else(ctype == 1, company, agency))

    industry = _industries(rng, ctype, seeds)
    log_emp = np.where(ctype == 2, np.log(250.0), np.log(80.0))
    employees = np.maximum(1, np.rint(np.exp(log_emp + 1.3 * rng.standard_normal(n))))
    emp_null = is_ind | (rng.random(n) < 0.06)

    phone = rng.choice(np.asarray(PHONE_PREFIXES, dtype=np.int64), n) * 10**8
    phone += rng.integers(0, 10**8, n)
    number = np.arange(first_number, first_number + n)
    email = _join(
        "u",
        pa.array(number + 10_000).cast(pa.string()),
        "@",
        _strings(EMAIL_DOMAINS, rng.integers(0, len(EMAIL_DOMAINS), n)),
    )
    role = _choice(rng, (*DECISION_ROLE_P, 1 - sum(DECISION_ROLE_P)), n)

    table = pa.table(
        {
            "customer_id": _ids("C", number, 8),
            "customer_name": name,
            "customer_type": _strings(CUSTOMER_TYPES, ctype),
            "industry": industry,
            "employee_count": _integers(employees.astype(np.int64), emp_null),
            "province": _strings(aliases, alias_idx),
            "city": city,
            "phone": _integers(phone),
            "email": email,
            "decision_role": _strings(DECISION_ROLES, np.minimum(role, 3), role == 4),
            "created_at": _timestamps(created),
            "updated_at": _timestamps(updated),
        }
    )
    return _Customers(table, ctype, created)


def _pick_or_last(rng: np.random.Generator, k: int, p: float, n: int) -> np.ndarray:
    """Uniform index in 0..k-1 with probability p, else k (the 'none' slot)."""
    return np.where(rng.random(n) < p, rng.integers(0, k, n), k)


def _industries(rng: np.random.Generator, ctype: np.ndarray, seeds: Seeds) -> pa.Array:
    """Seed spellings (weighted by industry), ~5% unmapped, mostly empty for people."""
    codes = seeds.aliases["industry"]
    labels = [a for c in codes for a in codes[c]] + list(UNMAPPED_INDUSTRIES)
    mapped = np.array(
        [INDUSTRY_WEIGHT.get(c, 0.5) / len(codes[c]) for c in codes for _ in codes[c]]
    )
    unmapped = np.full(len(UNMAPPED_INDUSTRIES), 0.05 / len(UNMAPPED_INDUSTRIES))
    p_any = np.concatenate([0.95 * mapped / mapped.sum(), unmapped])
    public = np.array([c == "public_sector" for c in codes for _ in codes[c]], float)
    p_gov = 0.3 * p_any + 0.7 * np.concatenate([public / public.sum(), unmapped * 0])
    idx = _choice_by_group(rng, (p_any, p_any, p_gov), ctype)
    empty_p = np.asarray((0.85, 0.03, 0.02))[ctype]
    return _strings(labels, idx, rng.random(len(ctype)) < empty_p)


def _make_promotions(rng: np.random.Generator, period: _Period) -> _Promotions:
    """About 12 promotions a year: every 618 and Double 11, the rest seasonal."""
    m = max(1, round(period.years * 12))
    days = np.arange(period.first_day, period.last_day + 1)
    month, dom = _month_and_day(days)
    anchor = ((month == 5) | (month == 10)) & (dom == 1)  # 1 June and 1 November
    fixed = days[anchor][:m]
    fixed_end = fixed + np.where(month[anchor][:m] == 5, 17, 10)  # to 18 Jun, 11 Nov
    w = np.ones(len(days))
    w[(month == 5) & (dom <= 20)] = 6.0
    w[(month == 10) & (dom <= 11)] = 8.0
    w[(month == 11) & (dom >= 15)] = 2.0
    w[anchor] = 0.0
    k = min(m - len(fixed), int((w > 0).sum()))
    other = rng.choice(days, size=k, replace=False, p=w / w.sum())
    start = np.concatenate([fixed, other])
    end = np.concatenate([fixed_end, other + rng.integers(2, 30, k)])  # 3..30 days
    order = np.lexsort((end, start))
    start, end = start[order], end[order]
    m = len(start)
    kind = _choice(rng, PROMOTION_TYPE_P, m)
    rate_cents = rng.integers(5, 51, m)
    s_month, _ = _month_and_day(start)
    year = start.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    ids = _ids("P", np.arange(1, m + 1), 4)
    name = _join(
        _strings(PROMOTION_MONTH_LABELS, s_month),
        "·",
        _strings(PROMOTION_TYPE_LABELS, kind),
        " ",
        pa.array(year).cast(pa.string()),
    )
    table = pa.table(
        {
            "promotion_id": ids,
            "promotion_name": name,
            "promotion_type": _strings(PROMOTION_TYPES, kind),
            "start_date": _dates(start),
            "end_date": _dates(end),
            "discount_rate": _money(rate_cents),
        }
    )
    return _Promotions(table, ids, start, end, rate_cents / 100.0)


def _coverage(promos: _Promotions, period: _Period) -> np.ndarray:
    """Index of the (latest starting) promotion active on each period day, or -1."""
    days = np.arange(period.first_day, period.last_day + 1)
    active = (promos.start[:, None] <= days) & (days <= promos.end[:, None])
    latest = len(promos.start) - 1 - np.argmax(active[::-1], axis=0)  # sorted by start
    return np.where(active.any(axis=0), latest, -1).astype(np.int32)


def _rates(
    rng: np.random.Generator,
    cust: _Customers,
    active_days: np.ndarray,
    type_factor: Sequence[float],
    shape: float,
    per_customer: float,
    years: float,
) -> np.ndarray:
    """Per-customer event counts: gamma-heterogeneous Poisson over the active days.

    Customers with zero active days get none; the mean over all customers is
    `per_customer` for a 3-year period (scaled linearly with `years`).
    """
    g = rng.gamma(shape, 1.0, len(cust.ctype)) * np.asarray(type_factor)[cust.ctype]
    exposure = g * active_days
    target = per_customer * len(cust.ctype) * years / 3.0
    lam = exposure * (target / max(exposure.sum(), 1e-9))
    return rng.poisson(lam)


def _sample_days(
    u: np.ndarray, cum: np.ndarray, lo_day: np.ndarray, hi_day: np.ndarray
) -> np.ndarray:
    """Inverse-CDF draw of a day offset in [lo_day, hi_day] under weights `cum`."""
    lo, hi = cum[lo_day], cum[hi_day + 1]
    day = np.searchsorted(cum, lo + u * (hi - lo), side="right") - 1
    return np.clip(day, lo_day, hi_day)


def _order_counts(
    rng: np.random.Generator, cust: _Customers, period: _Period
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer of each order and each customer's buying window (period day offsets).

    Prospects never buy; churned customers stop at a random day before as_of.
    """
    n = len(cust.ctype)
    last = period.n_days - 1
    a = (cust.created // DAY - period.first_day).astype(np.int64)
    prospect = rng.random(n) < PROSPECT_SHARE
    churned = ~prospect & (rng.random(n) < CHURN_SHARE)
    b = np.where(churned, a + (rng.random(n) * (last - a + 1)).astype(np.int64), last)
    active_days = np.where(prospect, 0, b - a + 1)
    counts = _rates(
        rng,
        cust,
        active_days,
        ORDER_RATE_BY_TYPE,
        0.9,
        ORDERS_PER_CUSTOMER,
        period.years,
    )
    return np.repeat(np.arange(n, dtype=np.int32), counts), a, b


def _order_days(
    rng: np.random.Generator,
    who: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    covered: np.ndarray,
    period: _Period,
) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal order day offsets; promo seekers buy inside promotion windows."""
    w = _season_weight(np.arange(period.first_day, period.last_day + 1))
    cum = np.concatenate([[0.0], np.cumsum(w)])
    cum_promo = np.concatenate([[0.0], np.cumsum(w * (covered >= 0))])
    seek_p = rng.beta(0.22, 1.2, len(a))  # per customer; a few are deal hunters
    has_window = cum_promo[b + 1] > cum_promo[a]
    seek = (rng.random(len(who)) < seek_p[who]) & has_window[who]
    u = rng.random(len(who))
    day = np.empty(len(who), dtype=np.int64)
    day[~seek] = _sample_days(u[~seek], cum, a[who[~seek]], b[who[~seek]])
    day[seek] = _sample_days(u[seek], cum_promo, a[who[seek]], b[who[seek]])
    return day, seek


def _order_promotions(
    rng: np.random.Generator,
    day: np.ndarray,
    seek: np.ndarray,
    covered: np.ndarray,
    promos: _Promotions,
    period: _Period,
) -> tuple[np.ndarray, np.ndarray]:
    """Promotion index per order (-1: none) and whether its window covers the day."""
    cover = covered[day]
    promo = np.where(seek, cover, -1)
    casual = ~seek & (cover >= 0) & (rng.random(len(day)) < 0.05)
    promo[casual] = cover[casual]
    m = len(promos.start)
    stray = (promo >= 0) & (rng.random(len(day)) < 0.02)  # id of another promotion
    if m > 1:
        promo[stray] = (promo[stray] + rng.integers(1, m, int(stray.sum()))) % m
    p = np.maximum(promo, 0)
    date = day + period.first_day
    return promo, (promo >= 0) & (promos.start[p] <= date) & (date <= promos.end[p])


def _order_money(
    rng: np.random.Generator,
    cust: _Customers,
    who: np.ndarray,
    discount: np.ndarray,
    spend_mix: SpendMix = "standard",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Category, amount and cost (cents): log-normal by type and category."""
    n, total = len(cust.ctype), len(who)
    cat = _choice_by_group(rng, CATEGORY_P, cust.ctype[who])
    level = rng.gamma(SPEND_LEVEL_SHAPE, 1.0 / SPEND_LEVEL_SHAPE, n)
    medians = SPEND_MEDIAN_BY_TYPE
    if spend_mix == "b2c_b2b":  # drawn after the standard draws: those stay as they are
        level = rng.lognormal(0.0, MIXED_SPEND_LEVEL_SIGMA, n)
        medians = MIXED_SPEND_MEDIAN_BY_TYPE
    base = np.asarray(medians)[cust.ctype] * level
    amount = (
        base[who]
        * np.asarray(CATEGORY_PRICE)[cat]
        * rng.lognormal(0, ORDER_SPREAD_SIGMA, total)
    )
    cents = np.maximum(100, np.rint(amount * (1.0 - discount) * 100)).astype(np.int64)
    margin = np.clip(rng.beta(2.2, 5.5, n) * 0.75, 0.0, 0.55)  # per customer
    m_row = np.clip(margin[who] + rng.normal(0, 0.04, total), 0.0, 0.6)
    cost = np.maximum(1, np.rint(cents * (1.0 - m_row))).astype(np.int64)
    return cat, cents, cost


def _make_orders(
    rng: np.random.Generator,
    cust: _Customers,
    promos: _Promotions,
    period: _Period,
    spend_mix: SpendMix = "standard",
    first_id: int = 1,
) -> pa.Table:
    who, a, b = _order_counts(rng, cust, period)
    total = len(who)
    covered = _coverage(promos, period)
    day, seek = _order_days(rng, who, a, b, covered, period)
    promo, in_window = _order_promotions(rng, day, seek, covered, promos, period)
    discount = np.where(in_window, promos.rate[np.maximum(promo, 0)], 0.0)
    cat, cents, cost = _order_money(rng, cust, who, discount, spend_mix)
    status = _choice(rng, ORDER_STATUS_P, total)
    date = day + period.first_day
    placed = date * DAY + rng.integers(8 * 3600, 22 * 3600, total)
    median_h = np.asarray((6.0, 2.0, 7 * 24.0))[
        status
    ]  # completed, cancelled, refunded
    lag = np.exp(np.log(median_h * 3600) + rng.standard_normal(total))
    lag = np.clip(lag, 60, 30 * DAY).astype(np.int64)
    updated = np.minimum(placed + lag, period.cap)

    order = _chronological(placed)  # order ids follow time
    return pa.table(
        {
            "order_id": _ids("O", np.arange(first_id, first_id + total), 9),
            "customer_id": cust.table.column("customer_id").take(who[order]),
            "order_date": _dates(date[order]),
            "product_category": _strings(PRODUCT_CATEGORIES, cat[order]),
            "amount": _money(cents[order]),
            "cost": _money(cost[order]),
            "promotion_id": promos.ids.take(
                pa.array(promo[order], mask=promo[order] < 0)
            ),
            "status": _strings(ORDER_STATUSES, status[order]),
            "updated_at": _timestamps(updated[order]),
        }
    )


def _make_interactions(
    rng: np.random.Generator, cust: _Customers, period: _Period, first_id: int = 1
) -> pa.Table:
    n = len(cust.ctype)
    span = period.cap - cust.created
    counts = _rates(
        rng,
        cust,
        span / DAY + 1,
        INTERACTION_RATE_BY_TYPE,
        0.8,
        INTERACTIONS_PER_CUSTOMER,
        period.years,
    )
    who = np.repeat(np.arange(n, dtype=np.int32), counts)
    total = len(who)
    occurred = cust.created[who] + (rng.random(total) * span[who]).astype(np.int64)
    favourite = _choice_by_group(rng, CHANNEL_P, cust.ctype)
    channel = np.where(
        rng.random(total) < 0.6,
        favourite[who],
        _choice_by_group(rng, CHANNEL_P, cust.ctype[who]),
    )
    kind = _choice(rng, INTERACTION_TYPE_P, total)
    score = _choice_by_group(rng, SATISFACTION_P, (kind != 1).astype(np.int32)) + 1
    order = _chronological(occurred)
    who, occurred, channel = who[order], occurred[order], channel[order]
    kind, score = kind[order], score[order]
    return pa.table(
        {
            "interaction_id": _ids("S", np.arange(first_id, first_id + total), 8),
            "customer_id": cust.table.column("customer_id").take(who),
            "occurred_at": _timestamps(occurred),
            "channel": _strings(CHANNELS, channel),
            "interaction_type": _strings(INTERACTION_TYPES, kind),
            "satisfaction": _integers(score, rng.random(total) < 0.3),
        }
    )


# ---------------------------------------------------------------- dirt


def _plan(
    rng: np.random.Generator, n: int, kinds: Sequence[str], rate: float
) -> dict[str, np.ndarray]:
    """Disjoint, sorted row sets, about rate * n rows over all kinds together."""
    share = min(rate, MAX_DIRT_SHARE) / len(kinds)
    k = max(1, round(share * n))
    perm = rng.permutation(n)
    return {kind: np.sort(perm[i * k : (i + 1) * k]) for i, kind in enumerate(kinds)}


def _put(
    table: pa.Table, column: str, rows: np.ndarray, values: pa.Array | np.ndarray
) -> pa.Table:
    """Replace `column` at the sorted `rows` by `values` (one per row)."""
    if len(rows) == 0:
        return table
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    old = table.column(column).combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    new = pc.replace_with_mask(old, pa.array(mask), values)
    return table.set_column(table.schema.get_field_index(column), column, new)


def _cell(table: pa.Table, column: str, rows: np.ndarray) -> pa.Array:
    return table.column(column).take(rows).combine_chunks()


def _pick(rng: np.random.Generator, pool: Sequence[str], k: int) -> pa.Array:
    return _strings(pool, rng.integers(0, len(pool), k))


def _padded(rng: np.random.Generator, values: pa.Array) -> pa.Array:
    pads = rng.integers(0, len(PADDING), len(values))
    left = _strings([p[0] for p in PADDING], pads)
    right = _strings([p[1] for p in PADDING], pads)
    return _join(left, values, right)


def _variants(seeds: Seeds, domain: str) -> dict[str, list[str]]:
    """Accepted non-canonical spellings of each code: aliases, UPPER, Title."""
    out = {}
    for code, aliases in seeds.aliases[domain].items():
        spellings = {a for a in aliases if a != code} | {code.upper(), code.title()}
        out[code] = sorted(spellings)
    return out


def _aliased(
    rng: np.random.Generator, values: pa.Array, variants: dict[str, list[str]]
) -> np.ndarray:
    vals = values.to_numpy(zero_copy_only=False)
    out = vals.copy()
    for code, spellings in variants.items():
        hit = vals == code
        out[hit] = np.asarray(spellings, dtype=object)[
            rng.integers(0, len(spellings), int(hit.sum()))
        ]
    return out


def _later(rng: np.random.Generator, values: pa.Array, period: _Period) -> pa.Array:
    """Timestamps strictly later than `values`, at most the end of the as_of day."""
    old = _parse_seconds(values)
    room = np.clip(period.end - old, 61, 30 * DAY)  # within a month
    new = old + 60 + (rng.random(len(old)) * (room - 60)).astype(np.int64)
    return _timestamps(new)


def _interleave(rng: np.random.Generator, base: pa.Table, extra: pa.Table) -> pa.Table:
    """Insert the extra rows at random positions, keeping the base order."""
    n, k = base.num_rows, extra.num_rows
    before = rng.integers(0, n + 1, k)  # base row each extra row is put before
    rank = np.argsort(before, kind="stable")
    order = pa.array(np.insert(np.arange(n), before[rank], n + rank))
    columns = {}
    for name in base.column_names:  # column by column, to bound memory
        both = pa.chunked_array(base.column(name).chunks + extra.column(name).chunks)
        columns[name] = both.take(order)
    return pa.table(columns)


def _common_extras(
    name: str, base: pa.Table, plan: dict[str, np.ndarray]
) -> list[pa.Table]:
    """Exact duplicate rows and rows whose key is null or blank."""
    exact = base.take(plan["exact_duplicate"])
    blank_rows = plan["null_or_blank_key"]
    blanks = base.take(blank_rows)
    kind = np.arange(len(blank_rows)) % (len(BLANK_KEYS) + 1)  # the last is null
    keys = _strings(
        BLANK_KEYS, np.minimum(kind, len(BLANK_KEYS) - 1), kind == len(BLANK_KEYS)
    )
    blanks = _put(blanks, KEYS[name], np.arange(len(blank_rows)), keys)
    return [exact, blanks]


def _finish(
    rng: np.random.Generator,
    name: str,
    dirty: pa.Table,
    base: pa.Table,
    plan: dict[str, np.ndarray],
    extras: list[pa.Table],
) -> tuple[pa.Table, dict[str, int]]:
    extras = _common_extras(name, base, plan) + extras
    counts = {kind: len(rows) for kind, rows in plan.items()}
    return _interleave(rng, dirty, pa.concat_tables(extras)), counts


def _dirty_customers(
    rng: np.random.Generator, t: pa.Table, rate: float, period: _Period, seeds: Seeds
) -> tuple[pa.Table, dict[str, int]]:
    plan = _plan(rng, t.num_rows, DIRT_KINDS["customers"], rate)
    base = t
    rows = plan["code_alias"]
    for col, domain in (
        ("customer_type", "customer_type"),
        ("decision_role", "decision_role"),
    ):
        t = _put(
            t, col, rows, _aliased(rng, _cell(t, col, rows), _variants(seeds, domain))
        )
    rows = plan["stray_whitespace"]
    for col in ("customer_id", "customer_type"):
        t = _put(t, col, rows, _padded(rng, _cell(t, col, rows)))
    # a later version of the same customer: moved to another city
    rows = plan["duplicate_version"]
    version = base.take(rows)
    old = version.column("city").to_numpy(zero_copy_only=False).astype(str)
    known = [c for cs in PROVINCE_CITIES.values() for c in cs]
    cities = np.unique(np.concatenate([np.asarray(known), old]))
    shift = rng.integers(1, max(2, len(cities)), len(rows))  # never the same city
    new = (np.searchsorted(cities, old) + shift) % len(cities)
    version = _put(version, "city", np.arange(len(rows)), _strings(cities, new))
    stamp = _later(rng, _cell(version, "updated_at", np.arange(len(rows))), period)
    version = _put(version, "updated_at", np.arange(len(rows)), stamp)
    return _finish(rng, "customers", t, base, plan, [version])


def _dirty_orders(
    rng: np.random.Generator, t: pa.Table, rate: float, period: _Period, seeds: Seeds
) -> tuple[pa.Table, dict[str, int]]:
    plan = _plan(rng, t.num_rows, DIRT_KINDS["orders"], rate)
    base = t
    rows = plan["unknown_customer_id"]
    unknown = _ids("C", rng.integers(90_000_000, 100_000_000, len(rows)), 8)
    t = _put(t, "customer_id", rows, _join(unknown, "x"))
    rows = plan["negative_amount_or_cost"]
    half = rng.random(len(rows)) < 0.5
    for col, sel in (("amount", rows[half]), ("cost", rows[~half])):
        t = _put(t, col, sel, _join("-", _cell(t, col, sel)))
    rows = plan["non_numeric_amount"]
    t = _put(t, "amount", rows, _pick(rng, NON_NUMERIC_AMOUNTS, len(rows)))
    rows = plan["malformed_order_date"]
    t = _put(t, "order_date", rows, _pick(rng, MALFORMED_DATES, len(rows)))
    rows = plan["malformed_updated_at"]
    t = _put(t, "updated_at", rows, _pick(rng, MALFORMED_TIMESTAMPS, len(rows)))
    rows = plan["future_order_date"]
    future = period.last_day + rng.integers(30, 401, len(rows))
    t = _put(t, "order_date", rows, _dates(future))
    t = _put(t, "updated_at", rows, _timestamps(future * DAY + 10 * 3600))
    rows = plan["code_alias"]
    variants = _variants(seeds, "order_status")
    t = _put(t, "status", rows, _aliased(rng, _cell(t, "status", rows), variants))
    rows = plan["invalid_status"]
    t = _put(t, "status", rows, _pick(rng, INVALID_STATUSES, len(rows)))
    rows = plan["stray_whitespace"]
    for col in ("order_id", "customer_id", "status"):
        t = _put(t, col, rows, _padded(rng, _cell(t, col, rows)))
    rows = plan["unknown_promotion_id"]
    t = _put(
        t, "promotion_id", rows, _ids("P", rng.integers(9900, 10_000, len(rows)), 4)
    )

    # a later version of the same order: a new status or a corrected amount and cost
    rows = plan["duplicate_version"]
    version = base.take(rows)
    idx = np.arange(len(rows))
    restate = rng.random(len(rows)) < 0.5
    old = version.column("status").to_numpy(zero_copy_only=False)
    code = np.zeros(len(rows), dtype=np.int64)
    for i, status in enumerate(ORDER_STATUSES):
        code[old == status] = i
    shift = rng.integers(1, len(ORDER_STATUSES), len(rows))
    new = (code + shift) % len(ORDER_STATUSES)
    version = _put(
        version, "status", idx[restate], _strings(ORDER_STATUSES, new[restate])
    )
    factor = rng.uniform(0.5, 1.5, len(rows))[~restate]
    for col in ("amount", "cost"):
        cents = (
            pc.cast(_cell(version, col, idx[~restate]), pa.float64()).to_numpy() * 100
        )
        version = _put(
            version, col, idx[~restate], _money(np.maximum(1, np.rint(cents * factor)))
        )
    stamp = _later(rng, _cell(version, "updated_at", idx), period)
    version = _put(version, "updated_at", idx, stamp)
    return _finish(rng, "orders", t, base, plan, [version])


def _dirty_promotions(
    rng: np.random.Generator, t: pa.Table, rate: float, period: _Period, seeds: Seeds
) -> tuple[pa.Table, dict[str, int]]:
    plan = _plan(rng, t.num_rows, DIRT_KINDS["promotions"], rate)
    base = t
    rows = plan["malformed_date"]
    half = rng.random(len(rows)) < 0.5
    for col, sel in (("start_date", rows[half]), ("end_date", rows[~half])):
        t = _put(t, col, sel, _pick(rng, MALFORMED_DATES, len(sel)))
    rows = plan["end_before_start"]
    start = _parse_days(_cell(t, "start_date", rows))
    t = _put(t, "end_date", rows, _dates(start - rng.integers(1, 11, len(rows))))
    rows = plan["discount_out_of_range"]
    t = _put(t, "discount_rate", rows, _pick(rng, BAD_DISCOUNT_RATES, len(rows)))
    rows = plan["stray_whitespace"]
    t = _put(t, "promotion_id", rows, _padded(rng, _cell(t, "promotion_id", rows)))
    return _finish(rng, "promotions", t, base, plan, [])


def _dirty_interactions(
    rng: np.random.Generator, t: pa.Table, rate: float, period: _Period, seeds: Seeds
) -> tuple[pa.Table, dict[str, int]]:
    plan = _plan(rng, t.num_rows, DIRT_KINDS["service_interactions"], rate)
    base = t
    rows = plan["unknown_customer_id"]
    unknown = _ids("C", rng.integers(90_000_000, 100_000_000, len(rows)), 8)
    t = _put(t, "customer_id", rows, _join(unknown, "x"))
    rows = plan["malformed_occurred_at"]
    t = _put(t, "occurred_at", rows, _pick(rng, MALFORMED_TIMESTAMPS, len(rows)))
    rows = plan["code_alias"]
    for col in ("channel", "interaction_type"):
        variants = _variants(seeds, col)
        t = _put(t, col, rows, _aliased(rng, _cell(t, col, rows), variants))
    rows = plan["stray_whitespace"]
    for col in ("interaction_id", "customer_id", "channel"):
        t = _put(t, col, rows, _padded(rng, _cell(t, col, rows)))
    rows = plan["satisfaction_out_of_range"]
    t = _put(t, "satisfaction", rows, _pick(rng, BAD_SATISFACTION, len(rows)))
    return _finish(rng, "service_interactions", t, base, plan, [])


_DIRTIERS = {
    "customers": _dirty_customers,
    "orders": _dirty_orders,
    "promotions": _dirty_promotions,
    "service_interactions": _dirty_interactions,
}


# ---------------------------------------------------------------- public API


def _validate(
    n_customers: int, as_of: dt.date, dirty_rate: float, years: float, spend_mix: str
) -> None:
    if not isinstance(n_customers, int) or n_customers < 1:
        raise ValueError(f"n_customers must be a positive integer, got {n_customers!r}")
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise ValueError(f"as_of must be a datetime.date, got {as_of!r}")
    if not 0.0 <= dirty_rate <= 0.5:
        raise ValueError(f"dirty_rate must be within 0..0.5, got {dirty_rate}")
    if not 0.1 <= years <= 50:
        raise ValueError(f"years must be within 0.1..50, got {years}")
    if spend_mix not in SPEND_MIXES:
        raise ValueError(f"spend_mix must be one of {SPEND_MIXES}, got {spend_mix!r}")


def generate_with_manifest(
    n_customers: int,
    seed: int,
    as_of: dt.date,
    dirty_rate: float,
    years: float = 3.0,
    *,
    progress: Progress | None = None,
    spend_mix: SpendMix = "standard",
) -> tuple[dict[str, pa.Table], Manifest]:
    """The four raw tables and the planted dirt counts ({} when dirty_rate is 0).

    `progress(table, rows, seconds)` is called after each table. `spend_mix`
    "b2c_b2b" draws a consumer-heavy base with business accounts spending a hundred
    times more (MIXED_*); "standard" (default) leaves every output as it always was.
    """
    _validate(n_customers, as_of, dirty_rate, years, spend_mix)
    seeds = load_seeds()
    last = (as_of - EPOCH).days
    period = _Period(last - round(years * 365.25), last, years)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    clean_rng = dict(zip(TABLE_NAMES, streams[:4], strict=True))
    dirt_rng = dict(zip(TABLE_NAMES, streams[4:], strict=True))

    tables: dict[str, pa.Table] = {}
    manifest: Manifest = {}
    cust: _Customers | None = None
    promos: _Promotions | None = None
    for name in ("customers", "promotions", "orders", "service_interactions"):
        t0 = time.perf_counter()
        rng = clean_rng[name]
        if name == "customers":
            cust = _make_customers(rng, n_customers, period, seeds, spend_mix)
            table = cust.table
        elif name == "promotions":
            promos = _make_promotions(rng, period)
            table = promos.table
        elif name == "orders":
            assert cust is not None and promos is not None
            table = _make_orders(rng, cust, promos, period, spend_mix)
        else:
            assert cust is not None
            table = _make_interactions(rng, cust, period)
        if dirty_rate > 0:
            table, manifest[name] = _DIRTIERS[name](
                dirt_rng[name], table, dirty_rate, period, seeds
            )
        tables[name] = table
        if progress is not None:
            progress(name, table.num_rows, time.perf_counter() - t0)
    ordered = {name: tables[name] for name in TABLE_NAMES}
    return ordered, {name: manifest[name] for name in TABLE_NAMES if name in manifest}


def generate(
    n_customers: int,
    seed: int,
    as_of: dt.date,
    dirty_rate: float,
    years: float = 3.0,
    *,
    spend_mix: SpendMix = "standard",
) -> dict[str, pa.Table]:
    """The four raw tables (all columns strings), deterministic in the arguments."""
    return generate_with_manifest(
        n_customers, seed, as_of, dirty_rate, years, spend_mix=spend_mix
    )[0]


def generate_chunks(
    n_customers: int,
    seed: int,
    as_of: dt.date,
    dirty_rate: float,
    years: float = 3.0,
    *,
    chunk_customers: int = CHUNK_CUSTOMERS,
    progress: Progress | None = None,
    spend_mix: SpendMix = "standard",
) -> Iterator[tuple[dict[str, pa.Table], Manifest]]:
    """The raw tables in chunks of `chunk_customers` customers, for scales that do
    not fit in memory at once (write_chunks writes them as they come).

    Each chunk holds its customers, their orders and interactions, numbered on
    from the chunk before (keys stay unique), with its own dirt (a duplicate
    version copies a row of its chunk); the promotions come once, with the first
    chunk. Deterministic in the arguments, chunk size included, but not the same
    rows as generate_with_manifest: each chunk draws its own random streams, its
    customers' creation times and its rows' chronological order (and the ids that
    follow it) are within the chunk, and each chunk scales its order and
    interaction rates to its own customers.
    """
    _validate(n_customers, as_of, dirty_rate, years, spend_mix)
    if not isinstance(chunk_customers, int) or chunk_customers < 1:
        raise ValueError(f"chunk_customers must be >= 1, got {chunk_customers!r}")
    seeds = load_seeds()
    last = (as_of - EPOCH).days
    period = _Period(last - round(years * 365.25), last, years)
    starts = range(0, n_customers, chunk_customers)
    root = np.random.SeedSequence(seed).spawn(8 + len(starts))
    # the promotions as generate_with_manifest draws them (streams 1 and 5)
    t0 = time.perf_counter()
    promos = _make_promotions(np.random.default_rng(root[1]), period)
    promotions, promo_dirt = promos.table, {}
    if dirty_rate > 0:
        promotions, promo_dirt = _dirty_promotions(
            np.random.default_rng(root[5]), promotions, dirty_rate, period, seeds
        )
    if progress is not None:
        progress("promotions", promotions.num_rows, time.perf_counter() - t0)
    next_order, next_interaction = 1, 1
    for chunk, start in enumerate(starts):
        streams = [np.random.default_rng(s) for s in root[8 + chunk].spawn(8)]
        n = min(chunk_customers, n_customers - start)
        tables: dict[str, pa.Table] = {}
        manifest: Manifest = {}
        for name in ("customers", "orders", "service_interactions"):
            t0 = time.perf_counter()
            rng = streams[TABLE_NAMES.index(name)]
            if name == "customers":
                cust = _make_customers(rng, n, period, seeds, spend_mix, start + 1)
                table = cust.table
            elif name == "orders":
                table = _make_orders(rng, cust, promos, period, spend_mix, next_order)
                next_order += table.num_rows
            else:
                table = _make_interactions(rng, cust, period, next_interaction)
                next_interaction += table.num_rows
            if dirty_rate > 0:
                dirt_rng = streams[4 + TABLE_NAMES.index(name)]
                table, manifest[name] = _DIRTIERS[name](
                    dirt_rng, table, dirty_rate, period, seeds
                )
            tables[name] = table
            if progress is not None:
                progress(name, table.num_rows, time.perf_counter() - t0)
        if chunk == 0:
            tables["promotions"] = promotions
            if dirty_rate > 0:
                manifest["promotions"] = promo_dirt
        yield (
            {name: tables[name] for name in TABLE_NAMES if name in tables},
            {name: manifest[name] for name in TABLE_NAMES if name in manifest},
        )
        del tables, cust


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write a raw file as the generator does (zstd, PARQUET_ROW_GROUP_ROWS rows per
    row group) to a temporary file moved into place: a reader never sees half."""
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(
        table, tmp, compression="zstd", row_group_size=PARQUET_ROW_GROUP_ROWS
    )
    os.replace(tmp, path)


def _typed_values(values: pa.ChunkedArray, to: pa.DataType) -> pa.Array:
    """Text values as the typed column `to`: a value the type cannot hold (malformed
    dirt such as 'N/A' or 2024-02-30) becomes null."""
    text = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_timestamp(to) or pa.types.is_date(to):
        fmt = _TYPED_FORMATS["timestamp" if pa.types.is_timestamp(to) else "date"]
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        # strptime rolls 2024-02-30 over into March: only a value that reads back
        # as its text is one
        exact = pc.equal(pc.strftime(parsed, format=fmt), text)
        return pc.if_else(exact, parsed, pa.scalar(None, parsed.type)).cast(to)
    fits = pc.match_substring_regex(text, _NUMBER_TEXT)
    kept = pc.if_else(fits, text, pa.scalar(None, pa.string()))
    if pa.types.is_integer(to):
        whole = pc.match_substring_regex(kept, r"^-?\d+$")
        kept = pc.if_else(whole, kept, pa.scalar(None, pa.string()))
    return kept.cast(to)


def typed_table(table: pa.Table) -> pa.Table:
    """The table with its TYPED_COLUMNS as typed values (the "typed" format):
    malformed text becomes null, which staging rejects with the same reason as
    the text for the required columns (bad_date, bad_timestamp, bad_number)."""
    for position, name in enumerate(table.column_names):
        if name in TYPED_COLUMNS:
            values = _typed_values(table.column(name), TYPED_COLUMNS[name])
            table = table.set_column(position, name, values)
    return table


class _Appender:
    """One raw file written chunk by chunk: a Parquet file of row groups or one CSV
    file with one header, under a temporary name until close()."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path, self.fmt = path, fmt
        self.tmp = path.with_name(path.name + ".tmp")
        self.schema: pa.Schema | None = None
        self.writer: pq.ParquetWriter | pacsv.CSVWriter | None = None

    def append(self, table: pa.Table) -> None:
        if self.fmt == "typed":
            table = typed_table(table)
        if self.writer is None:
            self.schema = table.schema
            if self.fmt == "csv":
                options = pacsv.WriteOptions(batch_size=1 << 16)
                self.writer = pacsv.CSVWriter(
                    self.tmp, self.schema, write_options=options
                )
            else:
                self.writer = pq.ParquetWriter(
                    self.tmp, self.schema, compression="zstd"
                )
        table = table.cast(self.schema)  # an all-null column of a chunk keeps its type
        if isinstance(self.writer, pq.ParquetWriter):
            self.writer.write_table(table, row_group_size=PARQUET_ROW_GROUP_ROWS)
        else:
            self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            os.replace(self.tmp, self.path)


def write_chunks(
    chunks: Iterator[tuple[dict[str, pa.Table], Manifest]],
    out_dir: Path,
    fmt: Format,
    *,
    progress: Progress | None = None,
) -> tuple[dict[str, int], Manifest]:
    """Write generate_chunks' chunks as they come into one file per table (as
    `write` does: the same names, formats, row groups and manifest), holding one
    chunk in memory. Returns the rows per table and the summed dirt manifest."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    extension = "csv" if fmt == "csv" else "parquet"
    other = "parquet" if extension == "csv" else "csv"
    files = {
        name: _Appender(out_dir / f"{name}.{extension}", fmt) for name in TABLE_NAMES
    }
    rows = dict.fromkeys(TABLE_NAMES, 0)
    manifest: Manifest = {}
    for tables, dirt in chunks:
        for name, table in tables.items():
            t0 = time.perf_counter()
            files[name].append(table)
            rows[name] += table.num_rows
            if progress is not None:
                progress(name, table.num_rows, time.perf_counter() - t0)
        for name, kinds in dirt.items():
            total = manifest.setdefault(name, {})
            for kind, count in kinds.items():
                total[kind] = total.get(kind, 0) + count
    for name, appender in files.items():
        appender.close()
        (out_dir / f"{name}.{other}").unlink(missing_ok=True)
    manifest_path = out_dir / MANIFEST_NAME
    if manifest:
        ordered = {name: manifest[name] for name in TABLE_NAMES if name in manifest}
        text = json.dumps(ordered, indent=2, sort_keys=True) + "\n"
        manifest_path.write_text(text, encoding="utf-8")
    else:
        manifest_path.unlink(missing_ok=True)
    return rows, manifest


def write(
    tables: dict[str, pa.Table],
    out_dir: Path,
    fmt: Format,
    manifest: Manifest | None = None,
    *,
    progress: Progress | None = None,
) -> None:
    """Write `<out_dir>/<name>.<fmt>` per table and the dirt manifest if any
    (fmt "typed": `<name>.parquet` with the TYPED_COLUMNS typed, typed_table).

    A stale file of the other format for the same table is removed (Parquet would
    shadow a new CSV), and so is a stale manifest when `manifest` is empty.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    extension = "csv" if fmt == "csv" else "parquet"
    other = "parquet" if extension == "csv" else "csv"
    for name, table in tables.items():
        t0 = time.perf_counter()
        path = out_dir / f"{name}.{extension}"
        if fmt == "typed":
            write_parquet(typed_table(table), path)
        elif fmt == "parquet":
            write_parquet(table, path)
        else:
            tmp = path.with_name(path.name + ".tmp")
            options = pacsv.WriteOptions(batch_size=1 << 16)
            pacsv.write_csv(table, tmp, write_options=options)
            os.replace(tmp, path)
        (out_dir / f"{name}.{other}").unlink(missing_ok=True)
        if progress is not None:
            progress(name, table.num_rows, time.perf_counter() - t0)
    manifest_path = out_dir / MANIFEST_NAME
    if manifest:
        text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        manifest_path.write_text(text, encoding="utf-8")
    else:
        manifest_path.unlink(missing_ok=True)
