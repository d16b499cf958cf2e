"""The static dashboard: its numbers equal the marts, it renders in headless Chromium
with no console error and every chart filled, and it shows the level migration when
the tag history is published."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_helpers import DbtRun
from published_reader import Rebuild

from tag_warehouse.publish import current_version_dir, publish
from tag_warehouse.report import (
    Dashboard,
    Heatmap,
    Pareto,
    backtest,
    backtest_section,
    health_history,
    write_report,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANALYSIS_CHARTS = {
    "pareto",
    "rf-heatmap",
    "lifecycle-funnel",
    "rfm-matrix",
    "churn-distribution",
}


@pytest.fixture(scope="module")
def version_dir(demo_build: DbtRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published")
    publish(demo_build.db_path, out)
    return current_version_dir(out)


class _SvgAttributes(HTMLParser):
    """Collects the attributes of every element carrying data-* attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if any(key.startswith("data-") for key in values):
            self.elements.append((tag, values))


def parse(html_text: str) -> list[tuple[str, dict[str, str]]]:
    parser = _SvgAttributes()
    parser.feed(html_text)
    return parser.elements


def expected_numbers(db: DbtRun) -> dict[str, Any]:
    """What the dashboard must show, queried from the warehouse itself."""
    migration = {}
    if db.scalar(
        "select count(*) from information_schema.tables"
        " where table_schema = 'marts' and table_name = 'customer_tag_changes'"
    ):
        migration = {
            (old, new): count
            for old, new, count in db.query(
                "select old_value, new_value, count(*) from marts.customer_tag_changes"
                " where tag = 'customer_level' group by all"
            )
        }
    registry = db.query("select tag, mart from reference.tag_registry")
    tag_counts = {
        tag: {
            str(value): count
            for value, count in db.query(
                f"select cast({tag} as varchar), count(*) from marts.{mart} group by 1"
            )
        }
        for tag, mart in registry
    }
    heatmap = {
        (recency, frequency): (count, round(mean, 2))
        for recency, frequency, count, mean in db.query(
            "select recency, purchase_frequency, count(*), avg(window_amount)"
            " from marts.customer_tags_behavior"
            " inner join marts.customer_tags_value using (customer_id) group by all"
        )
    }
    amounts = [
        amount
        for (amount,) in db.query(
            "select window_amount from marts.customer_tags_value order by 1 desc"
        )
    ]
    total = sum(amounts, Decimal(0))
    top = -(-len(amounts) // 5)  # ceil(20 %)
    segments = {
        code: (count, float(amount / total) if total else 0.0)
        for code, count, amount in db.query(
            "select rfm_segment, count(*), sum(window_amount)"
            " from marts.customer_tags_value group by 1"
        )
        if code not in ("none", "new")
    }
    cuts = db.query(
        "select cut_method, r_cut, f_cut, m_cut, population_size"
        " from marts.rfm_segment_cuts where as_of_date = (select max(as_of_date)"
        " from marts.customer_tags_value)"
    )
    churn = dict(
        db.query(
            "select churn_risk, count(*) from marts.customer_tags_value"
            " where p_alive is not null group by 1"
        )
    )
    return {
        "segments": segments,
        "cuts": cuts[0],
        "churn": churn,
        "churn_unknown": db.scalar(
            "select count(*) from marts.customer_tags_value where p_alive is null"
        ),
        "tags": tag_counts,
        "heatmap": heatmap,
        "customers": len(amounts),
        "revenue": total,
        "top20": float(sum(amounts[:top], Decimal(0)) / total),
        "migration": migration,
        "lifecycle": dict(
            db.query(
                "select lifecycle_stage, count(*) from marts.customer_tags_lifecycle"
                " group by 1"
            )
        ),
    }


def check_numbers(elements: list[tuple[str, dict[str, str]]], expected: dict) -> None:
    """Every number carried by the charts equals the warehouse's."""
    charts = [attrs for tag, attrs in elements if tag == "svg"]
    names = {attrs["data-chart"] for attrs in charts}
    assert ANALYSIS_CHARTS <= names
    shown_tags = {
        attrs["data-tag"] for attrs in charts if attrs["data-chart"] == "tag-counts"
    }
    assert shown_tags == set(expected["tags"])
    bars: dict[str, dict[str, int]] = {}
    current_tag = ""
    cells, stages, migration = {}, {}, {}
    segments: dict[str, tuple[int, float]] = {}
    churn: dict[str, int] = {}
    cuts_shown = False
    for tag, attrs in elements:
        if tag == "rect" and "data-segment" in attrs and int(attrs["data-count"]):
            segments[attrs["data-segment"]] = (
                int(attrs["data-count"]),
                float(attrs["data-revenue-share"]),
            )
        if tag == "rect" and "data-risk" in attrs:
            risk = attrs["data-risk"]
            churn[risk] = churn.get(risk, 0) + int(attrs["data-count"])
        if tag == "svg" and attrs.get("data-chart") == "churn-distribution":
            assert int(attrs["data-unknown"]) == expected["churn_unknown"]
        if "data-rfm-cuts" in attrs:
            cuts_shown = True
            method, r_cut, f_cut, m_cut, population = expected["cuts"]
            assert attrs["data-rfm-cuts"] == method
            assert Decimal(attrs["data-r-cut"]) == r_cut
            assert Decimal(attrs["data-f-cut"]) == f_cut
            assert Decimal(attrs["data-m-cut"]) == m_cut
            assert int(attrs["data-population"]) == population
        if tag == "svg" and attrs.get("data-chart") == "tag-counts":
            current_tag = attrs["data-tag"]
            assert int(attrs["data-total"]) == expected["customers"]
        elif tag == "svg":
            current_tag = ""
        if tag == "svg" and attrs.get("data-chart") == "pareto":
            assert int(attrs["data-customers"]) == expected["customers"]
            assert Decimal(attrs["data-total"]) == expected["revenue"]
            assert float(attrs["data-top20-share"]) == pytest.approx(
                expected["top20"], abs=1e-6
            )
        if tag == "rect" and current_tag and "data-count" in attrs:
            bars.setdefault(current_tag, {})[attrs["data-value"]] = int(
                attrs["data-count"]
            )
        if tag == "rect" and "data-recency" in attrs and int(attrs["data-count"]):
            key = (attrs["data-recency"], attrs["data-frequency"])
            cells[key] = (int(attrs["data-count"]), float(attrs["data-mean-m"]))
        if tag == "rect" and "data-stage" in attrs:
            stages[attrs["data-stage"]] = int(attrs["data-count"])
        if tag == "rect" and "data-from" in attrs and int(attrs["data-count"]):
            key = (attrs["data-from"], attrs["data-to"])
            migration[key] = int(attrs["data-count"])
    shown = {
        tag: {value: count for value, count in counts.items() if count}
        for tag, counts in bars.items()
    }
    assert shown == expected["tags"]
    assert cells.keys() == expected["heatmap"].keys()
    for key, (count, mean) in expected["heatmap"].items():
        assert cells[key][0] == count
        assert cells[key][1] == pytest.approx(float(mean), abs=0.01)
    assert {stage: count for stage, count in stages.items() if count} == expected[
        "lifecycle"
    ]
    assert migration == expected["migration"]
    assert segments.keys() == expected["segments"].keys()
    for code, (count, share) in expected["segments"].items():
        assert segments[code][0] == count
        assert segments[code][1] == pytest.approx(share, abs=1e-6)
    assert churn == expected["churn"]
    assert cuts_shown


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_numbers_equal_the_marts(
    demo_build: DbtRun, version_dir: Path, tmp_path: Path, lang: str
) -> None:
    out = tmp_path / f"dashboard_{lang}.html"
    write_report(version_dir, out, lang)
    page = out.read_text(encoding="utf-8")
    check_numbers(parse(page), expected_numbers(demo_build))
    # Self-contained: nothing is loaded from anywhere, no script at all.
    for forbidden in ("<script", "http://", "https://", "src=", "<link"):
        assert forbidden not in page
    assert ("客户等级" in page) == (lang == "zh")
    assert ("Customer level" in page) == (lang == "en")


def test_dashboard_shows_each_tags_coverage_per_build(
    demo_build: DbtRun, version_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dashboard.html"
    write_report(version_dir, out, "en")
    cells = {
        (attrs["data-tag"], attrs["data-date"]): attrs
        for tag, attrs in parse(out.read_text(encoding="utf-8"))
        if tag == "td" and "data-coverage" in attrs
    }
    expected = demo_build.query(
        "select distinct tag, strftime(as_of_date, '%Y-%m-%d'), coverage"
        " from marts.tag_value_health"
    )
    assert len(cells) == len(expected) > 0
    for tag, as_of, coverage in expected:
        assert float(cells[(tag, as_of)]["data-coverage"]) == pytest.approx(coverage)
        assert cells[(tag, as_of)]["data-moved"] == ""  # one build: nothing before


def test_health_history_moves_are_the_largest_share_change() -> None:
    """Per tag and build: the largest move of one value's share since the build
    before, a value missing on one side counting as 0; a tag new at a build is
    not compared."""
    con = duckdb.connect()
    con.execute(
        "create table tag_value_health as select * from (values"
        " ('recency', date '2026-05-31', 'within_30d', 0.30, 1.0),"
        " ('recency', date '2026-05-31', 'never', 0.70, 1.0),"
        " ('recency', date '2026-06-30', 'within_30d', 0.45, 1.0),"
        " ('recency', date '2026-06-30', 'd31_90', 0.05, 1.0),"
        " ('recency', date '2026-06-30', 'never', 0.50, 1.0),"
        " ('rfm_segment', date '2026-06-30', 'none', 1.0, 0.0))"
        " as t(tag, as_of_date, tag_value, value_share, coverage)"
    )
    history = health_history(con, ["tag_value_health"])
    assert history is not None
    assert history.dates == ["2026-05-31", "2026-06-30"]
    assert history.moved == {("recency", "2026-06-30"): pytest.approx(20.0)}
    assert history.coverage[("rfm_segment", "2026-06-30")] == 0.0
    assert health_history(con, []) is None


BACKTEST_REGISTRY = [
    {
        "tag": "lifecycle_stage",
        "allowed_values": "potential|new|active|at_risk|churned",
        "description_en": "Lifecycle stage",
    },
    {
        "tag": "purchase_frequency",
        "allowed_values": "high|medium|low",
        "description_en": "Purchase frequency",
    },
]


def backtest_page(con: duckdb.DuckDBPyConnection, tables: list[str]) -> str:
    """The backtest section of an English dashboard as of 2026-06-30."""
    board = Dashboard(
        lang="en",
        version="v1",
        as_of_date="2026-06-30",
        labels={("lifecycle_stage", "at_risk"): "At risk"},
        tags=[],
        pareto=Pareto(0, Decimal(0), 0.0, []),
        heatmap=Heatmap([], [], {}),
        funnel=[],
        migration=None,
        backtest=backtest(con, tables, BACKTEST_REGISTRY, "en"),
    )
    return backtest_section(board)


def test_backtest_table_shows_the_newest_build_of_the_headline_tags() -> None:
    """The newest as_of_date's rows of the headline tags, values in registry
    order, each with customers, repurchase share and mean spend; without rows, a
    line saying which date to build first; without the table, nothing."""
    con = duckdb.connect()
    con.execute(
        "create table tag_outcome_backtest as select * from (values"
        " (date '2026-05-31', date '2026-03-02', 90, 'lifecycle_stage', 'active',"
        "  10, 0.9, 100.0),"
        " (date '2026-06-30', date '2026-03-31', 90, 'lifecycle_stage', 'churned',"
        "  50, 0.04, 12.5),"
        " (date '2026-06-30', date '2026-03-31', 90, 'lifecycle_stage', 'active',"
        "  400, 0.735, 7906.2),"
        " (date '2026-06-30', date '2026-03-31', 90, 'lifecycle_stage', 'at_risk',"
        "  80, 0.16, 352.25),"
        " (date '2026-06-30', date '2026-03-31', 90, 'purchase_frequency', 'high',"
        "  70, 0.95, 15000.0))"
        " as t(as_of_date, tags_as_of, horizon_days, tag, tag_value, customers,"
        " repurchase_share, mean_spend)"
    )
    rows = [
        attrs
        for tag, attrs in parse(backtest_page(con, ["tag_outcome_backtest"]))
        if tag == "tr"
    ]
    assert [(row["data-tag"], row["data-value"]) for row in rows] == [
        ("lifecycle_stage", "active"),
        ("lifecycle_stage", "at_risk"),
        ("lifecycle_stage", "churned"),
    ]
    assert [int(row["data-customers"]) for row in rows] == [400, 80, 50]
    assert [float(row["data-repurchase-share"]) for row in rows] == [0.735, 0.16, 0.04]
    assert [float(row["data-mean-spend"]) for row in rows] == [7906.2, 352.25, 12.5]
    page = backtest_page(con, ["tag_outcome_backtest"])
    assert page.startswith('<section data-section="backtest"><h2>Do the tags')
    assert page.endswith("</table></section>")
    assert page.count('rowspan="3">Lifecycle stage') == 1
    assert "tag as of 2026-03-31 and what they did in the 90 days after" in page
    assert "At risk" in page and "Lifecycle stage" in page

    con.execute("delete from tag_outcome_backtest")
    empty = backtest_page(con, ["tag_outcome_backtest"])
    assert empty.startswith('<section data-section="backtest">')
    assert 'data-backtest="empty"' in empty
    assert "Build as of 2026-04-01 first, then this date." in empty
    assert backtest_page(con, []) == ""


def test_level_migration_from_the_tag_history(
    version_dir: Path, tmp_path: Path
) -> None:
    history = tmp_path / "version"
    shutil.copytree(version_dir, history)
    out = tmp_path / "dashboard.html"
    (history / "customer_tag_changes.parquet").unlink(missing_ok=True)
    write_report(history, out, "en")
    skipped = [
        attrs for _, attrs in parse(out.read_text()) if "data-chart-skipped" in attrs
    ]
    assert skipped == [
        {
            "class": "note",
            "data-chart-skipped": "level-migration",
            "data-reason": "migration_missing",
        }
    ]
    changes = [
        ("c1", "value", "customer_level", "vip", "important", "2026-07-31"),
        ("c2", "value", "customer_level", "vip", "important", "2026-08-31"),
        ("c3", "value", "customer_level", "potential", "vip", "2026-08-31"),
        ("c3", "lifecycle", "lifecycle_stage", "new", "active", "2026-08-31"),
    ]
    with duckdb.connect() as con:
        con.execute(
            "create table changes (customer_id varchar, dimension varchar, tag varchar,"
            " old_value varchar, new_value varchar, changed_as_of date)"
        )
        con.executemany("insert into changes values (?, ?, ?, ?, ?, ?)", changes)
        con.execute(
            f"copy changes to '{history / 'customer_tag_changes.parquet'}'"
            " (format parquet)"
        )
    write_report(history, out, "en")
    elements = parse(out.read_text())
    matrix = {
        (attrs["data-from"], attrs["data-to"]): int(attrs["data-count"])
        for tag, attrs in elements
        if tag == "rect" and "data-from" in attrs and int(attrs["data-count"])
    }
    assert matrix == {("vip", "important"): 2, ("potential", "vip"): 1}
    assert "2026-07-31" in out.read_text() and "2026-08-31" in out.read_text()


def clv_quality_elements(page: str) -> tuple[dict, dict, dict]:
    """The expectation chart's points (line, bucket) -> value, the error table's
    cells (model, measure) -> attributes, and its rows model -> attributes."""
    elements = parse(page)
    points = {
        (attrs["data-line"], attrs["data-bucket"]): float(attrs["data-value"])
        for tag, attrs in elements
        if tag == "circle" and "data-line" in attrs
    }
    cells, rows, model = {}, {}, ""
    for tag, attrs in elements:
        if tag == "tr" and "data-model" in attrs:
            model = attrs["data-model"]
            rows[model] = attrs
        elif tag == "td" and "data-measure" in attrs:
            cells[(model, attrs["data-measure"])] = attrs
    return points, cells, rows


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_shows_the_clv_model_quality(
    demo_build: DbtRun, version_dir: Path, tmp_path: Path, lang: str
) -> None:
    """The conditional-expectation chart (actual, each purchase model, naive per
    bucket of calibration repeat purchases) and the MAE / RMSE / total table equal
    marts.clv_model_quality."""
    out = tmp_path / f"dashboard_{lang}.html"
    write_report(version_dir, out, lang)
    page = out.read_text(encoding="utf-8")
    points, cells, rows = clv_quality_elements(page)
    quality = demo_build.query(
        "select model, measure, calibration_repeat_purchases, model_value,"
        " naive_value, actual_value from marts.clv_model_quality"
    )
    expected_points, expected_cells = {}, {}
    for model, measure, bucket, value, naive, actual in quality:
        if measure == "conditional_expectation":
            expected_points[(model, bucket)] = value
            expected_points[("actual", bucket)] = actual
            expected_points[("naive", bucket)] = naive
        else:
            expected_cells[(model, measure)] = (value, naive, actual)
    assert set(points) == set(expected_points) and len(points) > 8
    for key, value in expected_points.items():
        assert points[key] == pytest.approx(value, abs=1e-6), key
    assert set(cells) == set(expected_cells)
    for (model, measure), (value, naive, actual) in expected_cells.items():
        attrs = cells[(model, measure)]
        assert float(attrs["data-value"]) == pytest.approx(value, abs=1e-6)
        other = ("data-actual", actual) if measure == "total" else ("data-naive", naive)
        assert float(attrs[other[0]]) == pytest.approx(other[1], abs=1e-6)
    assert {attrs["data-status"] for attrs in rows.values()} == {"fitted"}
    title = "CLV 模型质量" if lang == "zh" else "CLV model quality"
    assert title in page


def test_dashboard_names_a_clv_model_that_is_not_fitted(
    version_dir: Path, tmp_path: Path
) -> None:
    """A failed model is a row with its status and reason, and has no line."""
    version = tmp_path / "version"
    shutil.copytree(version_dir, version)
    table = version / "clv_model_quality.parquet"
    reason = "MBG/NBD fit failed: no repeat buyer"
    with duckdb.connect() as con:
        con.execute(
            f"create table quality as select * from read_parquet('{table}')"
            " where model != 'mbgnbd'"
        )
        con.execute(
            "insert into quality by name select 'mbgnbd' as model, 'failed' as status,"
            f" '{reason}' as reason, 'all' as calibration_repeat_purchases,"
            " calibration_end, horizon_days from quality limit 1"
        )
        con.execute(f"copy quality to '{table}' (format parquet)")
    out = tmp_path / "dashboard.html"
    write_report(version, out, "en")
    points, cells, rows = clv_quality_elements(out.read_text(encoding="utf-8"))
    assert rows["mbgnbd"]["data-status"] == "failed"
    assert reason in out.read_text(encoding="utf-8")
    assert {line for line, _ in points} == {"actual", "bgnbd", "naive"}
    assert {model for model, _ in cells} == {"bgnbd", "gamma_gamma"}


def chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"{CHROMIUM} missing: `python3 scripts/dev.py test` installs it (root)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def test_dashboard_renders_in_headless_chromium(
    rebuild_under_readers: Rebuild, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Open the page in a real browser: no console error, every chart has a size and
    drawn marks, the numbers the browser shows equal the marts; save a screenshot.
    The published version is the month-later rebuild, so the tag history has level
    changes and every chart, the migration matrix included, has data."""
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()
    out_dir = tmp_path_factory.mktemp("dashboard")
    page_path = out_dir / "dashboard_zh.html"
    write_report(rebuild_under_readers.version_dir, page_path, "zh")
    screenshot = out_dir / "dashboard_zh.png"
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on(
                "console",
                lambda message: (
                    message.type in ("error", "warning")
                    and problems.append(f"{message.type}: {message.text}")
                ),
            )
            page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_path.as_uri(), wait_until="load")
            charts = page.eval_on_selector_all(
                "svg[data-chart]",
                """svgs => svgs.map(svg => {
                    const box = svg.getBoundingClientRect();
                    const marks = [...svg.querySelectorAll('rect, polyline, circle')]
                        .map(mark => mark.getBBox())
                        .filter(b => b.width > 0 && b.height > 0).length;
                    return {chart: svg.dataset.chart, tag: svg.dataset.tag || '',
                            width: box.width, height: box.height, marks: marks,
                            text: svg.textContent.length};
                })""",
            )
            # The DOM the browser built, read back for the number check.
            elements = parse(page.content())
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    print(f"dashboard screenshot: {screenshot}")
    assert problems == []
    assert requests == [page_path.as_uri()]
    assert {chart["chart"] for chart in charts} >= ANALYSIS_CHARTS | {"level-migration"}
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 30, chart
        assert chart["marks"] >= 2 and chart["text"] > 0, chart
    rebuilt = DbtRun(True, db_path=rebuild_under_readers.warehouse)
    expected = expected_numbers(rebuilt)
    assert expected["migration"], "the rebuild should record level changes"
    check_numbers(elements, expected)
    assert screenshot.stat().st_size > 50_000
