"""A self-contained static HTML dashboard of the published tag marts.

Reads one published version (Parquet, see tag_warehouse.publish) with DuckDB and
renders inline SVG generated here: no JavaScript, no external file, no network. Each
chart is an <svg data-chart="..."> whose data attributes carry the numbers it shows,
so a test (or a curious reader) can check them against the marts.

Charts: customers per tag value for every tag of the registry (grouped by
dimension), the revenue Pareto curve, an R x F heatmap coloured by mean M, the
lifecycle funnel, the RFM eight-segment matrix (customers, revenue share and the
build's cuts from `rfm_segment_cuts`), the churn-risk distribution over p_alive
and, when the published set has `customer_tag_changes`, the customer-level
migration matrix; with the audience tables (catalogue/audiences.yml), the size of
each active audience per build and the overlap of the active audiences.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from tag_warehouse.publish import read_build_info

LANGUAGES = ("zh", "en")
PARETO_POINTS = 200
CHANGES_TABLE = "customer_tag_changes"
LEVEL_TAG = "customer_level"
NEW_KEY = "__new__"
CUTS_TABLE = "rfm_segment_cuts"
# The RFM matrix: rows high / low value, columns by recency and frequency.
RFM_ROWS = ("important", "general")
RFM_COLUMNS = ("value", "develop", "keep", "retain")
P_ALIVE_BINS = 10

UI: dict[str, dict[str, str]] = {
    "en": {
        "title": "Customer tags dashboard",
        "as_of": "As of",
        "version": "Published version",
        "customers": "Customers",
        "revenue": "Revenue (365-day window)",
        "overview": "Overview",
        "pareto": "Revenue Pareto curve",
        "pareto_note": "Share of window revenue (y) brought by the top share of "
        "customers (x), customers sorted by revenue.",
        "pareto_x": "share of customers",
        "pareto_y": "share of revenue",
        "top20": "Top 20% of customers bring {share} of revenue",
        "no_revenue": "No revenue in the window.",
        "heatmap": "Recency x frequency, coloured by mean M",
        "heatmap_note": "Cell: customers and their mean window amount (M).",
        "funnel": "Lifecycle funnel",
        "migration": "Customer level migration",
        "migration_note": "Recorded customer_level changes from {start} to {end} "
        "(rows: old level, columns: new level).",
        "migration_missing": "No tag history published (table customer_tag_changes "
        "is absent): build the tag history (dbt build) to record changes.",
        "migration_empty": "The tag history records no customer_level change yet.",
        "new": "(new)",
        "tags": "Customers per tag value",
        "mean_m": "mean M",
        "generated": "Generated",
        "audiences": "Audiences",
        "audience_sizes": "Members per build (holdout included)",
        "audience_overlap": "Overlap: customers in both audiences (latest build)",
        "rfm": "RFM eight segments",
        "rfm_note": "Cuts ({method}): recent R ≤ {r} days, frequent F ≥ {f}, high"
        " value M ≥ {m}; {population} customers with a window order. Cell:"
        " customers and share of window revenue.",
        "rfm_missing": "No RFM cuts published (table rfm_segment_cuts is absent).",
        "rfm_outside": "Not segmented: {none}; new: {new}.",
        "health": "Tag health over builds",
        "health_note": "Coverage (share of customers not unknown or none) per"
        " build; in brackets the largest move of one value's share since the"
        " previous build, in percentage points (tag_value_health).",
        "churn": "Churn risk (P(alive), MBG/NBD)",
        "churn_note": "Customers per p_alive band of width 0.1, coloured by"
        " churn_risk; {unknown} customers without p_alive (unknown).",
        "backtest": "Do the tags predict? Outcome backtest",
        "backtest_note": "Customers by their tag as of {base} and what they did in"
        " the {horizon} days after (completed orders up to {end};"
        " tag_outcome_backtest). Mean spend counts silent customers as 0.",
        "backtest_empty": "No backtest yet: it needs a build at least"
        " tag_backtest_horizon_days (default {horizon}) days before this one."
        " Build as of {date} first, then this date.",
        "backtest_columns": "Tag|Value|Customers|Bought again|Mean spend",
        "clv_quality": "CLV model quality (holdout backtest)",
        "clv_quality_note": "Fitted on the orders up to {end}, scored on the"
        " {days} days after it. Chart: mean holdout purchase days per customer"
        " by repeat purchase days before {end} (clv_model_quality).",
        "clv_actual": "actual",
        "clv_naive": "naive (own past rate)",
        "clv_bucket": "repeat purchase days in calibration",
        "clv_model": "Model",
        "clv_mae": "MAE (naive)",
        "clv_rmse": "RMSE (naive)",
        "clv_total": "Total predicted / actual",
        "clv_status": "{status}: {reason}",
    },
    "zh": {
        "title": "客户标签看板",
        "as_of": "数据日期",
        "version": "发布版本",
        "customers": "客户数",
        "revenue": "销售额（近365天）",
        "overview": "概览",
        "pareto": "销售额帕累托曲线",
        "pareto_note": "按销售额从高到低排序：前 x 比例的客户贡献的销售额占比 y。",
        "pareto_x": "客户占比",
        "pareto_y": "销售额占比",
        "top20": "前 20% 的客户贡献了 {share} 的销售额",
        "no_revenue": "窗口内没有销售额。",
        "heatmap": "最近购买 × 购买频次（颜色：平均消费金额 M）",
        "heatmap_note": "单元格：客户数与平均窗口消费金额（M）。",
        "funnel": "生命周期漏斗",
        "migration": "客户等级迁移",
        "migration_note": "{start} 至 {end} 记录的客户等级变化"
        "（行：原等级，列：新等级）。",
        "migration_missing": "未发布标签历史（缺少 customer_tag_changes 表）："
        "运行快照以记录变化。",
        "migration_empty": "标签历史中尚无客户等级变化。",
        "new": "（新增）",
        "tags": "各标签值的客户数",
        "mean_m": "平均 M",
        "generated": "生成时间",
        "audiences": "人群",
        "audience_sizes": "各次构建的人群人数（含对照组）",
        "audience_overlap": "人群重叠：同时属于两个人群的客户数（最新构建）",
        "rfm": "RFM 八大客户分群",
        "rfm_note": "切分（{method}）：近 R ≤ {r} 天，高频 F ≥ {f}，高额 M ≥ {m}；"
        "近365天有订单的客户 {population} 人。单元格：客户数与销售额占比。",
        "rfm_missing": "未发布 RFM 切分（缺少 rfm_segment_cuts 表）。",
        "rfm_outside": "未分群：{none}；新客户：{new}。",
        "health": "各次构建的标签健康度",
        "health_note": "每次构建的覆盖率（非 unknown / none 的客户占比）；括号内为"
        "与上次构建相比单个取值占比的最大变动（百分点，tag_value_health）。",
        "churn": "流失风险（存活概率 P(alive)，MBG/NBD）",
        "churn_note": "按存活概率每 0.1 一档的客户数，颜色为流失风险；"
        "无存活概率（未知）的客户 {unknown} 人。",
        "backtest": "标签是否有预测力：结果回测",
        "backtest_note": "按 {base} 的标签分组的客户在之后 {horizon} 天内的表现"
        "（截至 {end} 的已完成订单；tag_outcome_backtest）。平均消费把未购买的客户"
        "计为 0。",
        "backtest_empty": "尚无回测：需要一次至少早于本次构建"
        " tag_backtest_horizon_days（默认 {horizon}）天的构建。请先以 {date}"
        " 为数据日期构建，再构建本日期。",
        "backtest_columns": "标签|取值|客户数|再次购买占比|平均消费",
        "clv_quality": "CLV 模型质量（留出期回测）",
        "clv_quality_note": "用 {end} 及之前的订单拟合，检验之后 {days} 天的预测。"
        "图：按 {end} 前的重复购买天数分组，每位客户留出期的平均购买天数"
        "（clv_model_quality）。",
        "clv_actual": "实际",
        "clv_naive": "朴素基线（自身历史频率）",
        "clv_bucket": "校准期重复购买天数",
        "clv_model": "模型",
        "clv_mae": "MAE（基线）",
        "clv_rmse": "RMSE（基线）",
        "clv_total": "预测合计 / 实际合计",
        "clv_status": "{status}：{reason}",
    },
}
DIMENSIONS: dict[str, dict[str, str]] = {
    "basic": {"en": "Basic attributes", "zh": "基础属性"},
    "behavior": {"en": "Behaviour", "zh": "行为"},
    "value": {"en": "Value", "zh": "价值"},
    "preference": {"en": "Preference", "zh": "偏好"},
    "lifecycle": {"en": "Lifecycle", "zh": "生命周期"},
    "service": {"en": "Service", "zh": "服务"},
}
COLOURS = {
    "basic": "#4e79a7",
    "behavior": "#f28e2b",
    "value": "#e15759",
    "preference": "#76b7b2",
    "lifecycle": "#59a14f",
    "service": "#b07aa1",
}


@dataclass(frozen=True)
class TagCounts:
    """Customers per value of one tag, values in registry order (then by count)."""

    tag: str
    dimension: str
    title: str
    counts: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.counts)


@dataclass(frozen=True)
class Pareto:
    """Cumulative share of revenue over customers sorted by revenue, descending."""

    customers: int
    total_revenue: Decimal
    top20_share: float
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class Heatmap:
    """Customers and mean window amount per (recency, purchase_frequency) cell."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], tuple[int, float]]


@dataclass(frozen=True)
class Migration:
    """Counts of customer_level changes (old -> new) in the tag history."""

    levels: list[str]
    cells: dict[tuple[str, str], int]
    start: str
    end: str


@dataclass(frozen=True)
class HealthHistory:
    """Each tag's coverage per build and its largest value-share move."""

    tags: list[str]
    dates: list[str]
    coverage: dict[tuple[str, str], float]  # (tag, as_of_date) -> coverage
    moved: dict[tuple[str, str], float]  # (tag, as_of_date) -> points vs previous


@dataclass(frozen=True)
class Audiences:
    """Active audiences: labels, members per build date, pairwise overlap."""

    names: list[str]
    labels: dict[str, str]
    dates: list[str]
    sizes: dict[tuple[str, str], int]  # (audience, as_of_date) -> members
    overlap: dict[tuple[str, str], int]  # (audience, audience) -> customers


@dataclass(frozen=True)
class RfmMatrix:
    """Customers and window revenue per rfm_segment, and the build's cuts."""

    cells: dict[str, tuple[int, float]]
    revenue: float
    cuts: dict[str, Any] | None


@dataclass(frozen=True)
class Backtest:
    """The latest build's outcome backtest of the headline tags: per (tag, value)
    the customers, their repurchase share and mean spend (empty: none yet)."""

    as_of_date: str
    tags_as_of: str
    horizon_days: int
    rows: list[tuple[str, str, int, float, float]]
    titles: dict[str, str] = field(default_factory=dict)  # tag -> its label


@dataclass(frozen=True)
class ChurnDistribution:
    """Customers per p_alive bin (width 1 / P_ALIVE_BINS) and churn_risk code."""

    bins: dict[tuple[int, str], int]
    unknown: int


@dataclass(frozen=True)
class ModelQuality:
    """The CLV models' holdout backtest of the build (clv_model_quality)."""

    calibration_end: str
    horizon_days: int
    status: dict[str, tuple[str, str]]  # model -> (status, reason)
    # (model, "mae" or "rmse") -> (the model's error, the naive baseline's)
    errors: dict[tuple[str, str], tuple[float, float]]
    totals: dict[str, tuple[float, float]]  # model -> (predicted, actual)
    buckets: list[str]
    # (model, bucket) -> mean predicted; the model "actual" and "naive" too
    expectation: dict[tuple[str, str], float]


@dataclass
class Dashboard:
    """Everything the page shows, computed from one published version."""

    lang: str
    version: str
    as_of_date: str
    labels: dict[tuple[str, str], str]
    tags: list[TagCounts]
    pareto: Pareto
    heatmap: Heatmap
    funnel: list[tuple[str, int]]
    migration: Migration | None
    migration_note: str = ""
    tables: list[str] = field(default_factory=list)
    audiences: Audiences | None = None
    rfm: RfmMatrix | None = None
    churn: ChurnDistribution | None = None
    health: HealthHistory | None = None
    backtest: Backtest | None = None
    clv_quality: ModelQuality | None = None

    def label(self, tag: str, value: str) -> str:
        if value == NEW_KEY:
            return UI[self.lang]["new"]
        return self.labels.get((tag, value), value)


# ---- data ---------------------------------------------------------------------


def open_version(version_dir: Path) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """An in-memory DuckDB with one view per Parquet file of the version folder."""
    con = duckdb.connect()
    tables = sorted(path.stem for path in version_dir.glob("*.parquet"))
    for name in tables:
        path = str((version_dir / f"{name}.parquet").resolve()).replace("'", "''")
        con.execute(f"create view \"{name}\" as select * from read_parquet('{path}')")
    return con, tables


def _registry(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute("select * from tag_registry where status = 'active'")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def load_labels(
    con: duckdb.DuckDBPyConnection, lang: str
) -> dict[tuple[str, str], str]:
    """(tag, value) -> label in lang, from the published tag_value_labels seed."""
    rows = con.execute(f"select tag, value, label_{lang} from tag_value_labels")
    return {(tag, str(value)): label for tag, value, label in rows.fetchall()}


def tag_counts(
    con: duckdb.DuckDBPyConnection, registry: list[dict[str, Any]], lang: str
) -> list[TagCounts]:
    """Customers per value for every tag of the registry, from its mart; every
    allowed value is listed (0 when no customer has it), then open values by count."""
    result = []
    for entry in registry:
        tag, mart = entry["tag"], entry["mart"]
        found = dict(
            con.execute(
                f'select cast("{tag}" as varchar) as value, count(*) from "{mart}"'
                " group by all"
            ).fetchall()
        )
        allowed = entry["allowed_values"].split("|")
        order = {value: index for index, value in enumerate(allowed)}
        counts = sorted(
            ((str(value), int(found.get(value, 0))) for value in {*allowed, *found}),
            key=lambda pair: (order.get(pair[0], len(order)), -pair[1], pair[0]),
        )
        result.append(
            TagCounts(tag, entry["dimension"], entry[f"description_{lang}"], counts)
        )
    return result


def pareto(con: duckdb.DuckDBPyConnection) -> Pareto:
    """The revenue Pareto curve from customer_tags_value.window_amount."""
    customers, total = con.execute(
        "select count(*), coalesce(sum(window_amount), 0) from customer_tags_value"
    ).fetchone()
    amounts = [
        float(row[0])
        for row in con.execute(
            "select coalesce(window_amount, 0) from customer_tags_value order by 1 desc"
        ).fetchall()
    ]
    total_float = float(total)
    if not customers or total_float <= 0:
        return Pareto(int(customers), Decimal(total), 0.0, [])
    cumulative = [0.0]
    for amount in amounts:
        cumulative.append(cumulative[-1] + amount)
    steps = sorted(
        {round(i * customers / PARETO_POINTS) for i in range(PARETO_POINTS + 1)}
    )
    points = [(k / customers, cumulative[k] / total_float) for k in steps]
    top = math.ceil(0.2 * customers)
    return Pareto(int(customers), Decimal(total), cumulative[top] / total_float, points)


def rf_heatmap(
    con: duckdb.DuckDBPyConnection, registry: list[dict[str, Any]]
) -> Heatmap:
    """Customers and mean M per recency x purchase_frequency cell."""
    allowed = {entry["tag"]: entry["allowed_values"].split("|") for entry in registry}
    rows = con.execute(
        "select behavior.recency, behavior.purchase_frequency, count(*),"
        " avg(coalesce(value.window_amount, 0))"
        " from customer_tags_behavior as behavior"
        " inner join customer_tags_value as value"
        " on behavior.customer_id = value.customer_id"
        " group by all"
    ).fetchall()
    cells = {(r, f): (int(count), float(mean)) for r, f, count, mean in rows}
    return Heatmap(allowed["recency"], allowed["purchase_frequency"], cells)


def lifecycle_funnel(
    con: duckdb.DuckDBPyConnection, registry: list[dict[str, Any]]
) -> list[tuple[str, int]]:
    """Customers per lifecycle stage, in the registry's order of stages."""
    stages = next(e for e in registry if e["tag"] == "lifecycle_stage")[
        "allowed_values"
    ]
    counts = dict(
        con.execute(
            "select lifecycle_stage, count(*) from customer_tags_lifecycle group by 1"
        ).fetchall()
    )
    return [(stage, int(counts.get(stage, 0))) for stage in stages.split("|")]


def rfm_matrix(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> RfmMatrix:
    """Customers and revenue per rfm_segment, and the cuts of this build."""
    rows = con.execute(
        "select rfm_segment, count(*), coalesce(sum(window_amount), 0)"
        " from customer_tags_value group by 1"
    ).fetchall()
    cells = {str(code): (int(count), float(amount)) for code, count, amount in rows}
    revenue = sum(amount for _, amount in cells.values())
    cuts = None
    if CUTS_TABLE in tables:
        cursor = con.execute(
            f"select * from {CUTS_TABLE} where as_of_date = (select max(as_of_date)"
            " from customer_tags_value)"
        )
        names = [column[0] for column in cursor.description]
        found = cursor.fetchone()
        cuts = dict(zip(names, found, strict=True)) if found else None
    return RfmMatrix(cells, revenue, cuts)


def churn_distribution(con: duckdb.DuckDBPyConnection) -> ChurnDistribution:
    """Customers per p_alive bin and churn_risk; those without p_alive apart."""
    rows = con.execute(
        f"select least(cast(floor(p_alive * {P_ALIVE_BINS}) as integer),"
        f" {P_ALIVE_BINS - 1}), churn_risk, count(*) from customer_tags_value"
        " where p_alive is not null group by all"
    ).fetchall()
    unknown = con.execute(
        "select count(*) from customer_tags_value where p_alive is null"
    ).fetchone()
    return ChurnDistribution(
        {(int(b), str(code)): int(count) for b, code, count in rows},
        int(unknown[0]) if unknown else 0,
    )


def _pick(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    return next((name for name in candidates if name in columns), None)


def level_migration(
    con: duckdb.DuckDBPyConnection, tables: Sequence[str], levels: list[str]
) -> tuple[Migration | None, str]:
    """The customer_level migration matrix from customer_tag_changes, or why not."""
    if CHANGES_TABLE not in tables:
        return None, "migration_missing"
    columns = [row[0] for row in con.execute(f"describe {CHANGES_TABLE}").fetchall()]
    old = _pick(columns, ("old_value", "previous_value", "value_before", "from_value"))
    new = _pick(columns, ("new_value", "value_after", "to_value", "value"))
    when = _pick(columns, ("changed_as_of", "changed_as_of_date", "as_of_date"))
    if "tag" not in columns or old is None or new is None:
        return None, "migration_missing"
    rows = con.execute(
        f'select coalesce("{old}", ?), "{new}", count(*) from {CHANGES_TABLE}'
        f' where tag = ? and "{new}" is not null group by all',
        [NEW_KEY, LEVEL_TAG],
    ).fetchall()
    if not rows:
        return None, "migration_empty"
    start = end = ""
    if when is not None:
        # From the build that recorded the old values (when known) to the last one.
        since = _pick(columns, ("previous_as_of", "previous_as_of_date")) or when
        first, last = con.execute(
            f'select min("{since}"), max("{when}") from {CHANGES_TABLE} where tag = ?',
            [LEVEL_TAG],
        ).fetchone()
        start, end = str(first), str(last)
    cells = {(str(a), str(b)): int(count) for a, b, count in rows}
    seen = {key for pair in cells for key in pair}
    ordered = ([NEW_KEY] if NEW_KEY in seen else []) + levels
    ordered += sorted(seen - set(ordered))
    return Migration(ordered, cells, start, end), "migration_note"


HEALTH_TABLE = "tag_value_health"


def health_history(
    con: duckdb.DuckDBPyConnection, tables: Sequence[str]
) -> HealthHistory | None:
    """Coverage per tag and build, and the largest move of one value's share
    since the build before (None without the health history)."""
    if HEALTH_TABLE not in tables:
        return None
    rows = con.execute(
        "select tag, strftime(as_of_date, '%Y-%m-%d'), tag_value, value_share,"
        f" coverage from {HEALTH_TABLE}"
    ).fetchall()
    dates = sorted({as_of for _, as_of, _, _, _ in rows})
    coverage = {(tag, as_of): float(cov) for tag, as_of, _, _, cov in rows}
    shares = {(tag, as_of, value): float(share) for tag, as_of, value, share, _ in rows}
    moved: dict[tuple[str, str], float] = {}
    for previous, current in zip(dates, dates[1:], strict=False):
        values = {
            (tag, value) for tag, as_of, value in shares if as_of in (previous, current)
        }
        compared = {tag for tag, as_of in coverage if as_of == previous} & {
            tag for tag, as_of in coverage if as_of == current
        }
        for tag, value in values:
            if tag not in compared:
                continue
            points = 100 * abs(
                shares.get((tag, current, value), 0.0)
                - shares.get((tag, previous, value), 0.0)
            )
            moved[(tag, current)] = max(moved.get((tag, current), 0.0), points)
    tags = sorted({tag for tag, _ in coverage})
    return HealthHistory(tags, dates, coverage, moved)


BACKTEST_TABLE = "tag_outcome_backtest"
# The tags the dashboard shows the backtest of (the table has every tag).
BACKTEST_TAGS = (
    "lifecycle_stage",
    "recency",
    "customer_level",
    "rfm_segment",
    "churn_risk",
)
BACKTEST_DEFAULT_HORIZON = 90  # days: the default of var tag_backtest_horizon_days


def backtest(
    con: duckdb.DuckDBPyConnection,
    tables: Sequence[str],
    registry: list[dict[str, Any]],
    lang: str,
) -> Backtest | None:
    """The newest build's backtest rows of BACKTEST_TAGS, values in registry order
    (None without the table; no rows when no build was a horizon back)."""
    if BACKTEST_TABLE not in tables:
        return None
    found = con.execute(
        "select strftime(as_of_date, '%Y-%m-%d'), strftime(tags_as_of, '%Y-%m-%d'),"
        " horizon_days, tag, tag_value, customers, repurchase_share, mean_spend"
        f" from {BACKTEST_TABLE}"
        f" where as_of_date = (select max(as_of_date) from {BACKTEST_TABLE})"
    ).fetchall()
    if not found:
        return Backtest("", "", BACKTEST_DEFAULT_HORIZON, [])
    allowed = {entry["tag"]: entry["allowed_values"].split("|") for entry in registry}
    rows = [
        (tag, str(value), int(customers), float(share), float(spend))
        for _, _, _, tag, value, customers, share, spend in found
        if tag in BACKTEST_TAGS
    ]

    def key(row: tuple[str, str, int, float, float]) -> tuple[int, int, int, str]:
        order = allowed.get(row[0], [])
        rank = order.index(row[1]) if row[1] in order else len(order)
        return BACKTEST_TAGS.index(row[0]), rank, -row[2], row[1]

    as_of, base, horizon = found[0][0], found[0][1], int(found[0][2])
    titles = {entry["tag"]: entry[f"description_{lang}"] for entry in registry}
    return Backtest(as_of, base, horizon, sorted(rows, key=key), titles)


QUALITY_TABLE = "clv_model_quality"
ACTUAL, NAIVE = "actual", "naive"  # the reference lines of the expectation chart


def model_quality(
    con: duckdb.DuckDBPyConnection, tables: Sequence[str]
) -> ModelQuality | None:
    """The CLV backtest of the published build (None without the table)."""
    if QUALITY_TABLE not in tables:
        return None
    rows = con.execute(
        "select model, status, coalesce(reason, ''), measure,"
        " calibration_repeat_purchases, model_value, naive_value, actual_value,"
        " strftime(calibration_end, '%Y-%m-%d'), horizon_days"
        f" from {QUALITY_TABLE} order by model, calibration_repeat_purchases"
    ).fetchall()
    if not rows:
        return None
    status = {row[0]: (row[1], row[2]) for row in rows}
    errors, totals, expectation, buckets = {}, {}, {}, []
    for model, _, _, measure, bucket, value, naive, actual, _, _ in rows:
        if measure in ("mae", "rmse"):
            errors[(model, measure)] = (float(value), float(naive))
        elif measure == "total":
            totals[model] = (float(value), float(actual))
        elif measure == "conditional_expectation":
            expectation[(model, bucket)] = float(value)
            expectation[(ACTUAL, bucket)] = float(actual)
            expectation[(NAIVE, bucket)] = float(naive)
            if bucket not in buckets:
                buckets.append(bucket)
    # Buckets in text order: 0..6, then 7+.
    return ModelQuality(
        rows[0][8], int(rows[0][9]), status, errors, totals, buckets, expectation
    )


AUDIENCE_TABLES = ("audience_registry", "audience_sizes", "audience_members")


def audiences(
    con: duckdb.DuckDBPyConnection, tables: Sequence[str], lang: str
) -> Audiences | None:
    """Sizes over time and overlap of the active audiences (None without them)."""
    if not all(name in tables for name in AUDIENCE_TABLES):
        return None
    registry = con.execute(
        f"select audience, label_{lang} from audience_registry"
        " where status = 'active' order by audience"
    ).fetchall()
    names = [name for name, _ in registry]
    sizes = {
        (name, str(as_of)): int(count)
        for as_of, name, count in con.execute(
            "select as_of_date, audience, member_count from audience_sizes"
        ).fetchall()
        if name in names
    }
    overlap = {
        (left, right): int(count)
        for left, right, count in con.execute(
            "select a.audience, b.audience, count(*) from audience_members as a"
            " inner join audience_members as b on a.customer_id = b.customer_id"
            " group by all"
        ).fetchall()
    }
    dates = sorted({as_of for _, as_of in sizes})
    return Audiences(names, dict(registry), dates, sizes, overlap)


def build_dashboard(version_dir: Path, lang: str) -> Dashboard:
    """Compute every chart of the dashboard from one published version folder."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    info = read_build_info(version_dir)
    con, tables = open_version(version_dir)
    try:
        registry = _registry(con)
        levels = next(e for e in registry if e["tag"] == LEVEL_TAG)["allowed_values"]
        migration, note = level_migration(con, tables, levels.split("|"))
        return Dashboard(
            lang=lang,
            version=info["version"],
            as_of_date=str(info.get("as_of_date") or ", ".join(info["as_of_dates"])),
            labels=load_labels(con, lang),
            tags=tag_counts(con, registry, lang),
            pareto=pareto(con),
            heatmap=rf_heatmap(con, registry),
            funnel=lifecycle_funnel(con, registry),
            migration=migration,
            migration_note=note,
            tables=tables,
            audiences=audiences(con, tables, lang),
            rfm=rfm_matrix(con, tables),
            churn=churn_distribution(con),
            health=health_history(con, tables),
            backtest=backtest(con, tables, registry, lang),
            clv_quality=model_quality(con, tables),
        )
    finally:
        con.close()


# ---- SVG ----------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _short(text: str, limit: int) -> str:
    width = 0
    for index, char in enumerate(text):
        width += 2 if ord(char) > 0x2E7F else 1
        if width > limit:
            return text[:index] + "…"
    return text


def _mix(low: str, high: str, share: float) -> str:
    """The colour share of the way from low to high (#rrggbb)."""
    share = min(max(share, 0.0), 1.0)
    channels = [
        round(int(low[i : i + 2], 16) * (1 - share) + int(high[i : i + 2], 16) * share)
        for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{channel:02x}" for channel in channels)


def _money(value: float | Decimal) -> str:
    return f"{float(value):,.0f}"


def bar_chart_svg(board: Dashboard, tag: TagCounts) -> str:
    """Horizontal bars: one per value of the tag, labelled, with the count."""
    row, label_width, bar_width, top = 22, 150, 230, 6
    height = top + row * max(len(tag.counts), 1) + 6
    largest = max((count for _, count in tag.counts), default=0) or 1
    colour = COLOURS.get(tag.dimension, "#4e79a7")
    parts = [
        f'<svg class="chart bars" data-chart="tag-counts" data-tag="{_e(tag.tag)}"'
        f' data-dimension="{_e(tag.dimension)}" data-total="{tag.total}"'
        f' viewBox="0 0 460 {height}" width="460" height="{height}" role="img"'
        f' aria-label="{_e(tag.title)}">'
    ]
    for index, (value, count) in enumerate(tag.counts):
        y = top + index * row
        label = board.label(tag.tag, value)
        width = max(bar_width * count / largest, 1 if count else 0)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end"'
            f' class="label">{_e(_short(label, 20))}<title>{_e(label)}</title></text>'
            f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{width:.1f}"'
            f' height="{row - 6}" fill="{colour}" data-value="{_e(value)}"'
            f' data-count="{count}"><title>{_e(label)}: {count:,}</title></rect>'
            f'<text x="{label_width + width + 5:.1f}" y="{y + 15}"'
            f' class="count">{count:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def pareto_svg(board: Dashboard) -> str:
    """The Pareto curve with the diagonal of equal shares and the top-20% marker."""
    text = UI[board.lang]
    data = board.pareto
    left, top, size = 60, 16, 320
    width, height = left + size + 24, top + size + 48
    attributes = (
        f'data-chart="pareto" data-customers="{data.customers}"'
        f' data-total="{data.total_revenue}" data-top20-share="{data.top20_share:.6f}"'
        f' data-points="{len(data.points)}"'
    )
    parts = [
        f'<svg class="chart" {attributes} viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img"'
        f' aria-label="{_e(text["pareto"])}">',
        f'<rect x="{left}" y="{top}" width="{size}" height="{size}" class="frame"/>',
    ]
    for tick in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        x, y = left + tick * size, top + size - tick * size
        parts.append(
            f'<line x1="{x}" y1="{top}" x2="{x}" y2="{top + size}" class="grid"/>'
            f'<line x1="{left}" y1="{y}" x2="{left + size}" y2="{y}" class="grid"/>'
            f'<text x="{x}" y="{top + size + 16}" text-anchor="middle"'
            f' class="tick">{tick:.0%}</text>'
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end"'
            f' class="tick">{tick:.0%}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top + size}" x2="{left + size}" y2="{top}"'
        ' class="diagonal"/>'
    )
    if data.points:
        path = " ".join(
            f"{left + x * size:.1f},{top + size - y * size:.1f}" for x, y in data.points
        )
        marker_x, marker_y = left + 0.2 * size, top + size - data.top20_share * size
        parts.append(
            f'<polyline class="curve" points="{path}" fill="none"/>'
            f'<circle cx="{marker_x:.1f}" cy="{marker_y:.1f}" r="4" class="marker">'
            f"<title>{_e(text['top20'].format(share=f'{data.top20_share:.1%}'))}"
            "</title></circle>"
        )
    parts.append(
        f'<text x="{left + size / 2}" y="{height - 8}" text-anchor="middle"'
        f' class="axis">{_e(text["pareto_x"])}</text>'
        f'<text x="14" y="{top + size / 2}" text-anchor="middle" class="axis"'
        f' transform="rotate(-90 14 {top + size / 2})">{_e(text["pareto_y"])}</text>'
        "</svg>"
    )
    return "".join(parts)


def heatmap_svg(board: Dashboard) -> str:
    """Recency (rows) x purchase frequency (columns), colour = mean window amount."""
    text = UI[board.lang]
    data = board.heatmap
    left, top, cell_w, cell_h = 130, 30, 120, 52
    width = left + cell_w * len(data.columns) + 10
    height = top + cell_h * len(data.rows) + 10
    means = [mean for count, mean in data.cells.values() if count]
    highest = max(means, default=0.0) or 1.0
    total = sum(count for count, _ in data.cells.values())
    parts = [
        f'<svg class="chart" data-chart="rf-heatmap" data-total="{total}"'
        f' data-max-mean-m="{highest:.2f}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img"'
        f' aria-label="{_e(text["heatmap"])}">'
    ]
    for column, frequency in enumerate(data.columns):
        label = board.label("purchase_frequency", frequency)
        parts.append(
            f'<text x="{left + column * cell_w + cell_w / 2}" y="{top - 10}"'
            f' text-anchor="middle" class="label">{_e(label)}</text>'
        )
    for row, recency in enumerate(data.rows):
        y = top + row * cell_h
        label = board.label("recency", recency)
        parts.append(
            f'<text x="{left - 8}" y="{y + cell_h / 2 + 4}" text-anchor="end"'
            f' class="label">{_e(_short(label, 16))}</text>'
        )
        for column, frequency in enumerate(data.columns):
            count, mean = data.cells.get((recency, frequency), (0, 0.0))
            x = left + column * cell_w
            fill = _mix("#eef4fb", "#08306b", mean / highest) if count else "#f4f4f4"
            ink = "#ffffff" if count and mean / highest > 0.5 else "#222222"
            parts.append(
                f'<rect class="cell" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}"'
                f' height="{cell_h - 2}" fill="{fill}" data-recency="{_e(recency)}"'
                f' data-frequency="{_e(frequency)}" data-count="{count}"'
                f' data-mean-m="{mean:.2f}"><title>{_e(label)} ×'
                f" {_e(board.label('purchase_frequency', frequency))}: {count:,},"
                f" {_e(text['mean_m'])} {_money(mean)}</title></rect>"
            )
            if count:
                parts.append(
                    f'<text x="{x + cell_w / 2}" y="{y + 21}" text-anchor="middle"'
                    f' fill="{ink}" class="cell-count">{count:,}</text>'
                    f'<text x="{x + cell_w / 2}" y="{y + 38}" text-anchor="middle"'
                    f' fill="{ink}" class="cell-mean">M {_money(mean)}</text>'
                )
            else:
                parts.append(
                    f'<text x="{x + cell_w / 2}" y="{y + 30}" text-anchor="middle"'
                    ' class="cell-mean">–</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def funnel_svg(board: Dashboard) -> str:
    """Centred bars, one per lifecycle stage, width proportional to customers."""
    text = UI[board.lang]
    stages = board.funnel
    total = sum(count for _, count in stages)
    largest = max((count for _, count in stages), default=0) or 1
    row, width, label_width = 44, 560, 130
    span = width - label_width - 20
    height = row * len(stages) + 8
    parts = [
        f'<svg class="chart" data-chart="lifecycle-funnel" data-total="{total}"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{_e(text["funnel"])}">'
    ]
    for index, (stage, count) in enumerate(stages):
        y = 4 + index * row
        bar = max(span * count / largest, 2 if count else 0)
        x = label_width + (span - bar) / 2
        label = board.label("lifecycle_stage", stage)
        share = count / total if total else 0
        colour = _mix("#a1d99b", "#238b45", 1 - index / max(len(stages) - 1, 1))
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row / 2 + 2}" text-anchor="end"'
            f' class="label">{_e(label)}</text>'
            f'<rect class="stage" x="{x:.1f}" y="{y + 3}" width="{bar:.1f}"'
            f' height="{row - 8}" rx="3" fill="{colour}" data-stage="{_e(stage)}"'
            f' data-count="{count}"><title>{_e(label)}: {count:,}</title></rect>'
            f'<text x="{label_width + span / 2}" y="{y + row / 2 + 2}"'
            f' text-anchor="middle" class="stage-text">{count:,} ({share:.1%})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def rfm_svg(board: Dashboard) -> str:
    """The eight segments as a 2 x 4 matrix: customers and revenue share."""
    data = board.rfm
    assert data is not None
    left, top, cell_w, cell_h = 20, 10, 130, 60
    width = left + cell_w * len(RFM_COLUMNS) + 10
    height = top + cell_h * len(RFM_ROWS) + 10
    segmented = sum(
        data.cells.get(f"{row}_{column}", (0, 0.0))[0]
        for row in RFM_ROWS
        for column in RFM_COLUMNS
    )
    parts = [
        f'<svg class="chart" data-chart="rfm-matrix" data-total="{segmented}"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{_e(UI[board.lang]["rfm"])}">'
    ]
    for row_index, row in enumerate(RFM_ROWS):
        for column_index, column in enumerate(RFM_COLUMNS):
            code = f"{row}_{column}"
            count, amount = data.cells.get(code, (0, 0.0))
            share = amount / data.revenue if data.revenue else 0.0
            x, y = left + column_index * cell_w, top + row_index * cell_h
            fill = _mix("#fdeaea", "#a50f15", share) if count else "#f4f4f4"
            ink = "#ffffff" if share > 0.5 else "#222222"
            label = board.label("rfm_segment", code)
            parts.append(
                f'<rect class="cell" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}"'
                f' height="{cell_h - 2}" fill="{fill}" data-segment="{_e(code)}"'
                f' data-count="{count}" data-revenue-share="{share:.6f}">'
                f"<title>{_e(label)}: {count:,}, {share:.1%}</title></rect>"
                f'<text x="{x + cell_w / 2}" y="{y + 18}" text-anchor="middle"'
                f' fill="{ink}" class="label">{_e(_short(label, 10))}</text>'
                f'<text x="{x + cell_w / 2}" y="{y + 36}" text-anchor="middle"'
                f' fill="{ink}" class="cell-count">{count:,}</text>'
                f'<text x="{x + cell_w / 2}" y="{y + 52}" text-anchor="middle"'
                f' fill="{ink}" class="cell-mean">{share:.1%}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def rfm_body(board: Dashboard) -> str:
    """The matrix with the cuts of the build above it (or why they are missing)."""
    data = board.rfm
    if data is None:
        return ""
    text = UI[board.lang]
    cuts = data.cuts
    if cuts is None:
        note = (
            f'<p class="note" data-chart-skipped="rfm-cuts"'
            f' data-reason="rfm_missing">{_e(text["rfm_missing"])}</p>'
        )
    else:
        words = text["rfm_note"].format(
            method=cuts["cut_method"],
            r=cuts["r_cut"],
            f=cuts["f_cut"],
            m=_money(cuts["m_cut"] or 0),
            population=f"{cuts['population_size']:,}",
        )
        note = (
            f'<p class="note" data-rfm-cuts="{_e(cuts["cut_method"])}"'
            f' data-r-cut="{_e(cuts["r_cut"])}" data-f-cut="{_e(cuts["f_cut"])}"'
            f' data-m-cut="{_e(cuts["m_cut"])}"'
            f' data-population="{cuts["population_size"]}">{_e(words)}</p>'
        )
    outside = text["rfm_outside"].format(
        none=f"{data.cells.get('none', (0, 0.0))[0]:,}",
        new=f"{data.cells.get('new', (0, 0.0))[0]:,}",
    )
    return f'{note}{rfm_svg(board)}<p class="note">{_e(outside)}</p>'


CHURN_COLOURS = {"high": "#d62728", "medium": "#ff9f1c", "low": "#2ca02c"}


def churn_svg(board: Dashboard) -> str:
    """Stacked bars: customers per p_alive bin, split by churn_risk code."""
    data = board.churn
    assert data is not None
    left, bottom, bar_w, plot_h = 40, 24, 48, 180
    width = left + bar_w * P_ALIVE_BINS + 10
    height = plot_h + bottom + 10
    totals = [
        sum(count for (b, _), count in data.bins.items() if b == index)
        for index in range(P_ALIVE_BINS)
    ]
    largest = max(totals, default=0) or 1
    parts = [
        f'<svg class="chart" data-chart="churn-distribution"'
        f' data-total="{sum(totals)}" data-unknown="{data.unknown}"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{_e(UI[board.lang]["churn"])}">'
    ]
    for index in range(P_ALIVE_BINS):
        x = left + index * bar_w
        y = 10 + plot_h
        for code in ("high", "medium", "low"):
            count = data.bins.get((index, code), 0)
            if not count:
                continue
            bar = plot_h * count / largest
            y -= bar
            label = board.label("churn_risk", code)
            parts.append(
                f'<rect class="bin" x="{x + 2}" y="{y:.1f}" width="{bar_w - 4}"'
                f' height="{bar:.1f}" fill="{CHURN_COLOURS[code]}"'
                f' data-bin="{index}" data-risk="{code}" data-count="{count}">'
                f"<title>{index / P_ALIVE_BINS:.1f}–{(index + 1) / P_ALIVE_BINS:.1f}"
                f" {_e(label)}: {count:,}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar_w / 2}" y="{plot_h + 26}" text-anchor="middle"'
            f' class="label">{index / P_ALIVE_BINS:.1f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def migration_svg(board: Dashboard) -> str:
    """The old level x new level matrix of recorded customer_level changes."""
    data = board.migration
    if data is None:
        return ""
    text = UI[board.lang]
    left, top, cell = 120, 40, 76
    width = left + cell * len(data.levels) + 10
    height = top + cell * len(data.levels) + 10
    largest = max(data.cells.values(), default=0) or 1
    total = sum(data.cells.values())
    parts = [
        f'<svg class="chart" data-chart="level-migration" data-total="{total}"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{_e(text["migration"])}">'
    ]
    for index, level in enumerate(data.levels):
        label = _e(_short(board.label(LEVEL_TAG, level), 12))
        parts.append(
            f'<text x="{left + index * cell + cell / 2}" y="{top - 10}"'
            f' text-anchor="middle" class="label">{label}</text>'
            f'<text x="{left - 8}" y="{top + index * cell + cell / 2 + 4}"'
            f' text-anchor="end" class="label">{label}</text>'
        )
    for row, old in enumerate(data.levels):
        for column, new in enumerate(data.levels):
            count = data.cells.get((old, new), 0)
            x, y = left + column * cell, top + row * cell
            fill = _mix("#fdf0e6", "#a63603", count / largest) if count else "#f4f4f4"
            parts.append(
                f'<rect class="cell" x="{x + 1}" y="{y + 1}" width="{cell - 2}"'
                f' height="{cell - 2}" fill="{fill}" data-from="{_e(old)}"'
                f' data-to="{_e(new)}" data-count="{count}"/>'
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 5}" text-anchor="middle"'
                f' fill="{"#ffffff" if count / largest > 0.5 else "#222222"}"'
                f' class="cell-count">{count:,}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def audience_sizes_svg(board: Dashboard) -> str:
    """One line per active audience: members at each published build date."""
    data = board.audiences
    if data is None or not data.dates:
        return ""
    left, top, width, height = 50, 10, 560, 220
    span_x, span_y = width - left - 170, height - top - 30
    largest = max(data.sizes.values(), default=0) or 1
    colours = list(COLOURS.values())
    parts = [
        f'<svg class="chart" data-chart="audience-sizes" viewBox="0 0 {width}'
        f' {height}" width="{width}" height="{height}" role="img"'
        f' aria-label="{_e(UI[board.lang]["audience_sizes"])}">'
        f'<line class="frame" x1="{left}" y1="{top + span_y}" x2="{left + span_x}"'
        f' y2="{top + span_y}"/>'
    ]
    step = span_x / max(len(data.dates) - 1, 1)
    for index, as_of in enumerate(data.dates):
        parts.append(
            f'<text class="tick" x="{left + index * step:.1f}" y="{height - 8}"'
            f' text-anchor="middle">{_e(as_of)}</text>'
        )
    for number, name in enumerate(data.names):
        colour = colours[number % len(colours)]
        points = []
        for index, as_of in enumerate(data.dates):
            count = data.sizes.get((name, as_of))
            if count is None:
                continue
            x = left + index * step
            y = top + span_y - span_y * count / largest
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"'
                f' data-audience="{_e(name)}" data-date="{_e(as_of)}"'
                f' data-count="{count}"><title>{_e(data.labels[name])} {_e(as_of)}:'
                f" {count:,}</title></circle>"
            )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"'
            f' points="{" ".join(points)}"/>'
            f'<text class="label" x="{left + span_x + 10}" y="{top + 14 + 16 * number}"'
            f' fill="{colour}">{_e(_short(data.labels[name], 22))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def audience_overlap_html(board: Dashboard) -> str:
    """The audience x audience table of shared customers (diagonal: members)."""
    data = board.audiences
    if data is None:
        return ""
    head = "".join(f"<th>{_e(_short(data.labels[n], 14))}</th>" for n in data.names)
    rows = []
    for left in data.names:
        cells = "".join(
            f'<td data-from="{_e(left)}" data-to="{_e(right)}"'
            f' data-count="{data.overlap.get((left, right), 0)}">'
            f"{data.overlap.get((left, right), 0):,}</td>"
            for right in data.names
        )
        rows.append(f"<tr><th>{_e(data.labels[left])}</th>{cells}</tr>")
    return (
        f'<table class="overlap" data-chart="audience-overlap"><tr><th></th>{head}'
        f"</tr>{''.join(rows)}</table>"
    )


def health_section(board: Dashboard) -> str:
    """Tags x builds: coverage, and the largest value-share move since the build
    before (the drift test's measure)."""
    data = board.health
    if data is None:
        return ""
    text = UI[board.lang]
    head = "".join(f"<th>{_e(as_of)}</th>" for as_of in data.dates)
    rows = []
    for tag in data.tags:
        cells = []
        for as_of in data.dates:
            coverage = data.coverage.get((tag, as_of))
            if coverage is None:
                cells.append("<td></td>")
                continue
            moved = data.moved.get((tag, as_of))
            extra = f" ({moved:.1f})" if moved is not None else ""
            cells.append(
                f'<td data-tag="{_e(tag)}" data-date="{_e(as_of)}"'
                f' data-coverage="{coverage:.6f}"'
                f' data-moved="{"" if moved is None else f"{moved:.6f}"}">'
                f"{coverage:.1%}{extra}</td>"
            )
        rows.append(f"<tr><th>{_e(tag)}</th>{''.join(cells)}</tr>")
    return (
        f'<section data-section="health"><h2>{_e(text["health"])}</h2>'
        f'<p class="note">{_e(text["health_note"])}</p>'
        f'<table class="overlap" data-chart="tag-health"><tr><th></th>{head}</tr>'
        f"{''.join(rows)}</table></section>"
    )


def backtest_section(board: Dashboard) -> str:
    """Per headline tag and value: customers, share who bought again (with a bar)
    and mean spend in the horizon after the tags' date; or how to get one."""
    data = board.backtest
    if data is None:
        return ""
    text = UI[board.lang]
    title = f'<section data-section="backtest"><h2>{_e(text["backtest"])}</h2>'
    if not data.rows:
        date = dt.date.fromisoformat(board.as_of_date[:10]) - dt.timedelta(
            days=data.horizon_days
        )
        note = text["backtest_empty"].format(
            horizon=data.horizon_days, date=date.isoformat()
        )
        return f'{title}<p class="note" data-backtest="empty">{_e(note)}</p></section>'
    note = text["backtest_note"].format(
        base=data.tags_as_of, horizon=data.horizon_days, end=data.as_of_date
    )
    head = "".join(
        f"<th>{_e(name)}</th>" for name in text["backtest_columns"].split("|")
    )
    per_tag = {tag: sum(row[0] == tag for row in data.rows) for tag, *_ in data.rows}
    rows, shown = [], set()
    for tag, value, customers, share, spend in data.rows:
        name = ""
        if tag not in shown:  # the tag's name once, spanning its values
            shown.add(tag)
            name = (
                f'<th rowspan="{per_tag[tag]}">{_e(data.titles.get(tag, tag))}'
                f"<br><code>{_e(tag)}</code></th>"
            )
        bar = f'<span class="share-bar" style="width:{share * 60:.1f}px"></span>'
        rows.append(
            f'<tr data-tag="{_e(tag)}" data-value="{_e(value)}"'
            f' data-customers="{customers}" data-repurchase-share="{share:.6f}"'
            f' data-mean-spend="{spend:.4f}">{name}'
            f"<td>{_e(board.label(tag, value))}</td><td>{customers:,}</td>"
            f"<td>{bar} {share:.1%}</td><td>{_money(spend)}</td></tr>"
        )
    return (
        f'{title}<p class="note">{_e(note)}</p>'
        f'<table class="overlap" data-chart="backtest"><tr>{head}</tr>'
        f"{''.join(rows)}</table></section>"
    )


QUALITY_COLOURS = {
    ACTUAL: "#222222",
    NAIVE: "#9e9e9e",
    "bgnbd": "#4e79a7",
    "mbgnbd": "#e15759",
}


def clv_expectation_svg(board: Dashboard) -> str:
    """Lines over the calibration repeat-purchase buckets: mean actual holdout
    purchase days, each purchase model's mean prediction and the naive one."""
    data = board.clv_quality
    if data is None or not data.buckets:
        return ""
    text = UI[board.lang]
    left, top, width, height = 50, 10, 560, 240
    span_x, span_y = width - left - 170, height - top - 50
    largest = max(data.expectation.values(), default=0) or 1
    step = span_x / max(len(data.buckets) - 1, 1)
    parts = [
        f'<svg class="chart" data-chart="clv-conditional-expectation"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{_e(text["clv_quality"])}">'
        f'<line class="frame" x1="{left}" y1="{top + span_y}" x2="{left + span_x}"'
        f' y2="{top + span_y}"/>'
        f'<text class="tick" x="{left + span_x / 2}" y="{height - 6}"'
        f' text-anchor="middle">{_e(text["clv_bucket"])}</text>'
    ]
    for index, bucket in enumerate(data.buckets):
        parts.append(
            f'<text class="tick" x="{left + index * step:.1f}" y="{top + span_y + 16}"'
            f' text-anchor="middle">{_e(bucket)}</text>'
        )
    fitted = [m for m, (status, _) in data.status.items() if status == "fitted"]
    models = [m for m in ("bgnbd", "mbgnbd") if m in fitted]
    lines = [ACTUAL, *models, NAIVE]
    names = {ACTUAL: text["clv_actual"], NAIVE: text["clv_naive"]}
    for number, line in enumerate(lines):
        colour = QUALITY_COLOURS[line]
        points = []
        for index, bucket in enumerate(data.buckets):
            value = data.expectation[(line, bucket)]
            x = left + index * step
            y = top + span_y - span_y * value / largest
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"'
                f' data-line="{_e(line)}" data-bucket="{_e(bucket)}"'
                f' data-value="{value:.6f}"><title>{_e(names.get(line, line))}'
                f" {_e(bucket)}: {value:.2f}</title></circle>"
            )
        dash = ' stroke-dasharray="4 3"' if line == NAIVE else ""
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash}'
            f' points="{" ".join(points)}"/>'
            f'<text class="label" x="{left + span_x + 10}" y="{top + 14 + 16 * number}"'
            f' fill="{colour}">{_e(names.get(line, line))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def clv_errors_html(board: Dashboard) -> str:
    """Per model: MAE and RMSE next to the naive baseline's, total predicted vs
    actual; the status and reason of a model that is not fitted."""
    data = board.clv_quality
    assert data is not None
    text = UI[board.lang]
    rows = []
    for model, (status, reason) in data.status.items():
        if status != "fitted":
            note = text["clv_status"].format(status=status, reason=reason)
            rows.append(
                f'<tr data-model="{_e(model)}" data-status="{_e(status)}">'
                f'<th>{_e(model)}</th><td colspan="3">{_e(note)}</td></tr>'
            )
            continue
        cells = []
        for measure in ("mae", "rmse"):
            value, naive = data.errors[(model, measure)]
            cells.append(
                f'<td data-measure="{measure}" data-value="{value:.6f}"'
                f' data-naive="{naive:.6f}">{value:,.3f} ({naive:,.3f})</td>'
            )
        predicted, actual = data.totals[model]
        cells.append(
            f'<td data-measure="total" data-value="{predicted:.6f}"'
            f' data-actual="{actual:.6f}">{predicted:,.1f} / {actual:,.1f}</td>'
        )
        rows.append(
            f'<tr data-model="{_e(model)}" data-status="fitted"><th>{_e(model)}</th>'
            f"{''.join(cells)}</tr>"
        )
    head = "".join(
        f"<th>{_e(text[key])}</th>"
        for key in ("clv_model", "clv_mae", "clv_rmse", "clv_total")
    )
    return (
        f'<table class="overlap" data-chart="clv-errors"><tr>{head}</tr>'
        f"{''.join(rows)}</table>"
    )


def clv_quality_section(board: Dashboard) -> str:
    data = board.clv_quality
    if data is None:
        return ""
    text = UI[board.lang]
    note = text["clv_quality_note"].format(
        end=data.calibration_end, days=data.horizon_days
    )
    return (
        f'<section data-section="clv-quality"><h2>{_e(text["clv_quality"])}</h2>'
        f'<p class="note">{_e(note)}</p>{clv_expectation_svg(board)}'
        f"{clv_errors_html(board)}</section>"
    )


def audience_section(board: Dashboard) -> str:
    if board.audiences is None:
        return ""
    text = UI[board.lang]
    return (
        f'<section data-section="audiences"><h2>{_e(text["audiences"])}</h2>'
        f'<div class="row"><div><h3>{_e(text["audience_sizes"])}</h3>'
        f"{audience_sizes_svg(board)}</div><div><h3>"
        f"{_e(text['audience_overlap'])}</h3>{audience_overlap_html(board)}"
        "</div></div></section>"
    )


# ---- page ---------------------------------------------------------------------

STYLE = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","PingFang SC",
"Microsoft YaHei","Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
background:#f6f7f9;color:#222}
header{background:#1f2d3d;color:#fff;padding:18px 28px}
header h1{margin:0 0 6px;font-size:22px}
header .meta{font-size:13px;opacity:.85}
main{padding:16px 28px 40px}
section{background:#fff;border:1px solid #e2e5ea;border-radius:6px;
margin:0 0 18px;padding:14px 18px}
section h2{font-size:17px;margin:0 0 4px}
section h3{font-size:14px;margin:10px 0 4px;color:#444}
.note{font-size:12px;color:#666;margin:2px 0 8px}
.kpis{display:flex;gap:18px;flex-wrap:wrap}
.kpi{background:#fff;border:1px solid #e2e5ea;border-radius:6px;padding:10px 16px}
.kpi b{display:block;font-size:22px}
.kpi span{font-size:12px;color:#666}
.row{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start}
.grid{stroke:#eee}
.frame{fill:none;stroke:#bbb}
.diagonal{stroke:#aaa;stroke-dasharray:4 4}
.curve{stroke:#e15759;stroke-width:2.5}
.marker{fill:#e15759}
.tags{display:grid;grid-template-columns:repeat(auto-fill,minmax(470px,1fr));
gap:4px 18px}
svg text{font-size:12px}
svg .tick{font-size:11px;fill:#666}
svg .axis{font-size:12px;fill:#444}
svg .count{fill:#333}
svg .cell-count{font-size:14px;font-weight:600}
svg .cell-mean{font-size:11px}
svg .stage-text{font-size:13px;font-weight:600;fill:#10351a}
table.overlap{border-collapse:collapse;font-size:12px}
table.overlap td,table.overlap th{border:1px solid #e2e5ea;padding:4px 8px}
table.overlap td{text-align:right}
.share-bar{display:inline-block;height:9px;background:#59a14f;vertical-align:middle}
"""


def render_html(board: Dashboard) -> str:
    """The whole page: header, KPIs, the four analysis charts, then every tag."""
    text = UI[board.lang]
    pareto_note = (
        text["top20"].format(share=f"{board.pareto.top20_share:.1%}")
        if board.pareto.points
        else text["no_revenue"]
    )
    if board.migration is not None:
        note = text["migration_note"].format(
            start=board.migration.start, end=board.migration.end
        )
        migration_body = f'<p class="note">{_e(note)}</p>{migration_svg(board)}'

    else:
        migration_body = (
            f'<p class="note" data-chart-skipped="level-migration"'
            f' data-reason="{_e(board.migration_note)}">'
            f"{_e(text[board.migration_note])}</p>"
        )
    churn_note = text["churn_note"].format(
        unknown=f"{board.churn.unknown:,}" if board.churn else 0
    )
    dimensions: dict[str, list[TagCounts]] = {}
    for tag in board.tags:
        dimensions.setdefault(tag.dimension, []).append(tag)
    tag_sections = []
    for dimension, tags in dimensions.items():
        title = DIMENSIONS.get(dimension, {}).get(board.lang, dimension)
        charts = "".join(
            f"<div><h3>{_e(tag.title)} <code>{_e(tag.tag)}</code></h3>"
            f"{bar_chart_svg(board, tag)}</div>"
            for tag in tags
        )
        tag_sections.append(
            f'<section data-dimension="{_e(dimension)}"><h2>{_e(title)}</h2>'
            f'<div class="tags">{charts}</div></section>'
        )
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if board.lang == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(text["title"])} {_e(board.as_of_date)}</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>{_e(text["title"])}</h1>
<div class="meta">{_e(text["as_of"])}: <b>{_e(board.as_of_date)}</b> ·
{_e(text["version"])}: <code>{_e(board.version)}</code> ·
{_e(text["generated"])}: {_e(generated)}</div></header>
<main>
<section><h2>{_e(text["overview"])}</h2><div class="kpis">
<div class="kpi" data-kpi="customers"><b>{board.pareto.customers:,}</b>
<span>{_e(text["customers"])}</span></div>
<div class="kpi" data-kpi="revenue"><b>{_money(board.pareto.total_revenue)}</b>
<span>{_e(text["revenue"])}</span></div></div></section>
<div class="row">
<section><h2>{_e(text["pareto"])}</h2><p class="note">{_e(text["pareto_note"])}</p>
<p class="note"><b>{_e(pareto_note)}</b></p>{pareto_svg(board)}</section>
<section><h2>{_e(text["heatmap"])}</h2><p class="note">{_e(text["heatmap_note"])}</p>
{heatmap_svg(board)}</section>
</div>
<div class="row">
<section><h2>{_e(text["rfm"])}</h2>{rfm_body(board)}</section>
<section><h2>{_e(text["churn"])}</h2><p class="note">{_e(churn_note)}</p>
{churn_svg(board)}</section>
</div>
<div class="row">
<section><h2>{_e(text["funnel"])}</h2>{funnel_svg(board)}</section>
<section><h2>{_e(text["migration"])}</h2>{migration_body}</section>
</div>
{audience_section(board)}
{health_section(board)}
{backtest_section(board)}
{clv_quality_section(board)}
<h2>{_e(text["tags"])}</h2>
{"".join(tag_sections)}
</main>
</body>
</html>
"""


def write_report(version_dir: Path, out: Path, lang: str) -> Dashboard:
    """Render the dashboard of a published version folder to the HTML file out."""
    board = build_dashboard(version_dir, lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(board), encoding="utf-8")
    return board
