"""The tag catalogue (catalogue/*.yml): validation lists every problem before any
SQL, the committed generated files match it (drift test), dbt stops when it
changed since generation, and a tag added in YAML alone reaches its mart, the CRM
table with reasons, the docs, the tests and the history; a draft tag only its
preview; a deprecated tag leaves the CRM table as explicit removals."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dbt_helpers import (
    AS_OF,
    FIXTURES,
    MODELS_ONLY,
    ROOT,
    SMALL_DATA_VARS,
    copy_project,
    edit_yaml,
    run_dbt,
)

from tag_warehouse.catalogue.cli import check, generate, main
from tag_warehouse.catalogue.compile import filter_sql, sql_literal
from tag_warehouse.catalogue.load import CatalogueError, load
from tag_warehouse.catalogue.render import band_texts, evaluate
from tag_warehouse.catalogue.schema import Filter

SERVICE = "catalogue/tags/service.yml"


def test_generated_files_match_the_catalogue() -> None:
    """The drift test: every committed generated file (marts, declared metrics,
    yml, docs, unit tests, registry and label seeds, tag_marts(), history models, the
    customer_profile yml, the tag table of docs/tags.md, the catalogue vars) is what
    `scripts/catalogue.py generate` writes."""
    assert check(ROOT) == []


def test_the_drift_check_names_a_stale_file(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    mart = project / "models/marts/customer_tags/customer_tags_service.sql"
    mart.write_text(mart.read_text() + "\n-- edited by hand\n")
    assert check(project) == [
        "models/marts/customer_tags/customer_tags_service.sql: differs from the"
        " catalogue"
    ]
    assert main(["check", "--project-dir", str(project)]) == 1
    generate(project)
    assert check(project) == []


def test_a_handwritten_metric_must_be_a_documented_column(tmp_path: Path) -> None:
    """A renamed column upstream is named by the check, not found at build."""
    project = copy_project(tmp_path / "project")

    def rename(data: dict[str, Any]) -> None:
        metric = next(m for m in data["handwritten"] if m["name"] == "window_amount")
        metric["column"] = "window_amt"

    edit_yaml(project / "catalogue/metrics.yml", rename)
    generate(project)
    assert check(project) == [
        "catalogue/metrics.yml: metric window_amount: column: window_amt is not a"
        " documented column of int_customers_orders_summarised"
    ]


BROKEN_CASES = {
    "unknown metric": (
        lambda tag: tag["rule"]["bands"].__setitem__("metric", "no_such_metric"),
        "tag complaints: rule.bands.metric: unknown metric no_such_metric",
    ),
    "unknown var": (
        lambda tag: tag["rule"]["bands"]["rungs"][1]["threshold"].__setitem__(
            "var", "no_such_var"
        ),
        "tag complaints: rule.bands.rungs[1].threshold: unknown var no_such_var",
    ),
    "unknown status": (
        lambda tag: tag.__setitem__("status", "live"),
        "tag complaints: status: Input should be 'draft', 'active' or 'deprecated'",
    ),
    "unknown source": (
        lambda tag: tag.__setitem__("source", "crm_notes"),
        "tag complaints: source",
    ),
    "code not in the values": (
        lambda tag: tag["rule"]["bands"].__setitem__("otherwise", "lots"),
        "tag complaints: rule.bands.otherwise: code lots is not in the tag's values",
    ),
    "value without an English label": (
        lambda tag: tag["values"][0].pop("en"),
        "tag complaints: values[0].en: Field required",
    ),
    "metric from another source": (
        lambda tag: tag["rule"]["bands"].__setitem__("metric", "window_order_count"),
        "tag complaints: rule.bands.metric: metric window_order_count comes from"
        " orders, not from the tag's authoritative source (service_interactions)",
    ),
    "unknown placeholder in a reason": (
        lambda tag: tag["reason"].__setitem__("en", "{value} in {window} days"),
        "tag complaints: reason.en: {window} is not a placeholder: use {value},"
        " {band} or a numeric var",
    ),
    "a text var as a placeholder": (
        lambda tag: tag.__setitem__(
            "null_reason", {"zh": "无", "en": "none in {raw_data_path}"}
        ),
        "tag complaints: null_reason.en: {raw_data_path} is not a numeric var",
    ),
    "reason of its own on a band tag": (
        lambda tag: tag["values"][0].__setitem__("reason", {"zh": "z", "en": "e"}),
        "tag complaints: values: code none: a reason of its own needs a category rule",
    ),
    "overlapping bands": (
        lambda tag: tag["rule"]["bands"]["rungs"].append(
            {"op": "<", "threshold": 1, "code": "one"}
        ),
        "tag complaints: rule.bands.rungs[2].threshold: 1 overlaps the band before it",
    ),
    "an expected outcome order naming a value the tag lacks": (
        lambda tag: tag.__setitem__(
            "expected_outcome",
            {"measure": "repurchase_share", "order": ["one", "lots"]},
        ),
        "tag complaints: expected_outcome.order: lots not among the tag's values"
        " (multiple, none, one)",
    ),
    "an expected outcome on a measure the backtest lacks": (
        lambda tag: tag.__setitem__(
            "expected_outcome", {"measure": "orders", "order": ["multiple", "one"]}
        ),
        "tag complaints: expected_outcome.measure: Input should be 'repurchase_share'"
        " or 'mean_spend'",
    ),
}


def test_an_invalid_catalogue_stops_with_every_problem_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path / "project")
    path = project / SERVICE

    def break_everything(data: dict) -> None:  # type: ignore[type-arg]
        for change, _ in BROKEN_CASES.values():
            tag = json.loads(json.dumps(data["tags"][0]))
            change(tag)
            tag["name"] = "complaints"
            # each case on its own copy of the tag, appended as another entry
            data["tags"].append(tag)
        data["tags"].pop(0)

    edit_yaml(path, break_everything)
    with pytest.raises(CatalogueError) as raised:
        load(project)
    message = str(raised.value)
    for name, (_, expected) in BROKEN_CASES.items():
        assert f"{SERVICE}: {expected}" in message, name
    assert f"{SERVICE}: tag complaints: name: also a tag in {SERVICE}" in message
    before = (project / "seeds/tag_registry.csv").read_text()
    assert main(["generate", "--project-dir", str(project)]) == 2
    captured = capsys.readouterr()
    assert "nothing was generated" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert (project / "seeds/tag_registry.csv").read_text() == before


def test_a_category_reason_names_only_the_metrics_it_shows(tmp_path: Path) -> None:
    """rfm_segment's reasons name R, F, M and the cuts through rule.category.shows;
    a placeholder of a metric not shown (or misspelt) is named at load."""
    project = copy_project(tmp_path / "project")

    def misspell(data: dict[str, Any]) -> None:
        tag = next(t for t in data["tags"] if t["name"] == "rfm_segment")
        tag["values"][0]["reason"]["en"] = "R {days_since_last_ordr}"
        tag["rule"]["category"]["shows"].append("promo_order_share")

    edit_yaml(project / "catalogue/tags/value.yml", misspell)
    with pytest.raises(CatalogueError) as raised:
        load(project)
    message = str(raised.value)
    assert (
        "tag rfm_segment: values: code important_value: reason.en:"
        " {days_since_last_ordr} is not a placeholder: use {value},"
        " {days_since_last_order}," in message
    )
    assert (
        "tag rfm_segment: rule.category.shows[6]: metric promo_order_share comes"
        " from promotions" in message
    )


def test_vars_a_catalogue_file_declares_are_checked_before_any_sql(
    tmp_path: Path,
) -> None:
    """consultation_*_min are declared in catalogue/tags/service.yml: their bounds,
    whole-number type and the order of the bands they bound are checked like every
    var (a var that is invalid by itself is left out of the order check)."""
    bad_values = run_dbt(
        ["seed", "--select", "tag_registry"],
        tmp_path / "values",
        FIXTURES / "raw_dirty",
        extra_vars={"consultation_medium_min": 0, "consultation_high_min": 6.5},
        stops_at_var_check=True,
    )
    assert not bad_values.success
    assert "consultation_medium_min must be between 2 and 100000, got 0" in (
        bad_values.log
    )
    assert "consultation_high_min must be a whole number, got 6.5" in bad_values.log
    unordered = run_dbt(
        ["seed", "--select", "tag_registry"],
        tmp_path / "order",
        FIXTURES / "raw_dirty",
        extra_vars={"consultation_medium_min": 7, "consultation_high_min": 6},
        stops_at_var_check=True,
    )
    assert not unordered.success
    assert "consultation_medium_min (7) must be below consultation_high_min (6)" in (
        unordered.log
    )


def test_yaml_values_are_data_quoted_into_sql() -> None:
    assert sql_literal("it's") == "'it''s'"
    assert sql_literal(True) == "true" and sql_literal(Decimal("0.5")) == "0.5"
    assert (
        filter_sql(Filter(column="channel", op="in", value=["phone", "e-mail"]))
        == "channel in ('phone', 'e-mail')"
    )
    with pytest.raises(ValueError):  # no quotes, semicolons or brackets in values
        Filter(column="channel", op="=", value="x'; drop table orders; --")
    with pytest.raises(ValueError):  # names are identifiers
        Filter(column="channel or 1=1", op="=", value="x")


def test_band_evaluation_and_texts_follow_sql_semantics() -> None:
    cat = load(ROOT)
    tags = {tag.name: tag for _, tag in cat.tags()}
    recency = tags["recency"].rule.bands
    assert recency is not None
    defaults = {
        "recency_within_30d_max_days": 30,
        "recency_d31_90_max_days": 90,
        "recency_d91_180_max_days": 180,
    }
    assert [
        evaluate(recency, {"days_since_last_order": days}, defaults)
        for days in (None, 30, 31, 90, 91, 180, 181)
    ] == ["never", "within_30d", "d31_90", "d31_90", "d91_180", "d91_180", "over_180d"]
    texts = band_texts(cat, recency)
    assert texts["d31_90"] == (
        '{{ var("recency_within_30d_max_days") + 1 }}–'
        '{{ var("recency_d31_90_max_days") }}'
    )
    assert texts["over_180d"] == '> {{ var("recency_d91_180_max_days") }}'


def test_tag_docs_add_a_tag_section_shows_the_catalogue_entry() -> None:
    """docs/tags.md "Add a tag" shows exactly the consultation_frequency entry and
    its declared metric as they are in the catalogue."""
    tag_docs = (ROOT / "docs/tags.md").read_text(encoding="utf-8")
    section = tag_docs.split("## Add a tag", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    shown = [yaml.safe_load(block) for block in blocks]
    service = yaml.safe_load((ROOT / SERVICE).read_text(encoding="utf-8"))
    metrics = yaml.safe_load((ROOT / "catalogue/metrics.yml").read_text())
    entry = next(t for t in service["tags"] if t["name"] == "consultation_frequency")
    metric = next(m for m in metrics["declared"] if m["name"] == "consultation_count")
    assert {"declared": [metric]} in shown
    assert {"tags": [entry]} in shown
    assert {"vars": service["vars"]} in shown


# ---- a throw-away tag, end to end ----------------------------------------------

PHONE_METRIC = {
    "name": "phone_interaction_count",
    "description": "Phone interactions in the window.",
    "source": "service_interactions",
    "aggregate": "count",
    "filter": [{"column": "channel", "op": "=", "value": "phone"}],
    "window_days": {"var": "window_days"},
}
PHONE_TAG = {
    "name": "phone_contact",
    "status": "active",
    "source": "service_interactions",
    "label": {"zh": "电话联系（近365天）", "en": "Phone contact in the window"},
    "summary": "phone interactions in the window: >= 2 -> frequent; 1 -> occasional;"
    " 0 -> none",
    "rule": {
        "bands": {
            "metric": "phone_interaction_count",
            "rungs": [
                {"op": ">=", "threshold": 2, "code": "frequent"},
                {"op": "=", "threshold": 1, "code": "occasional"},
            ],
            "otherwise": "none",
        }
    },
    "values": [
        {"code": "frequent", "zh": "经常", "en": "Frequent"},
        {"code": "occasional", "zh": "偶尔", "en": "Occasional"},
        {"code": "none", "zh": "无", "en": "None"},
    ],
    "reason": {
        "zh": "近365天电话联系 {value} 次（{band}）",
        "en": "{value} phone interactions in 365 days ({band})",
    },
}
# Declared metrics of every other aggregate, checked against pandas below.
MORE_METRICS = [
    {
        "name": "window_amount_declared",
        "source": "orders",
        "aggregate": "sum",
        "column": "amount",
        "window_days": {"var": "window_days"},
        "description": "Window amount.",
    },
    {
        "name": "categories_ever",
        "source": "orders",
        "aggregate": "count_distinct",
        "column": "product_category",
        "description": "Distinct categories ever.",
    },
    {
        "name": "largest_order",
        "source": "orders",
        "aggregate": "max",
        "column": "amount",
        "description": "Largest valid order.",
    },
    {
        "name": "smallest_order",
        "source": "orders",
        "aggregate": "min",
        "column": "amount",
        "description": "Smallest valid order.",
    },
    {
        "name": "first_category",
        "source": "orders",
        "aggregate": "first",
        "column": "product_category",
        "description": "Category of the first order.",
    },
    {
        "name": "last_category",
        "source": "orders",
        "aggregate": "last",
        "column": "product_category",
        "description": "Category of the last order.",
    },
    {
        "name": "top_window_category",
        "source": "orders",
        "aggregate": "most_frequent",
        "column": "product_category",
        "window_days": {"var": "window_days"},
        "description": "Most frequent window category, ties alphabetical.",
    },
    {
        "name": "mean_rating_declared",
        "source": "service_interactions",
        "aggregate": "mean",
        "column": "satisfaction",
        "filter": [{"column": "satisfaction", "op": "is_not_null"}],
        "window_days": {"var": "window_days"},
        "description": "Mean window rating.",
    },
]


def expected_declared(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """The declared metrics computed in pandas from the staging tables."""
    import pandas as pd

    as_of = pd.Timestamp(AS_OF)
    customers = con.sql("select customer_id from staging.stg_crm__customers").df()
    orders = con.sql("select * from staging.stg_crm__orders").df()
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    valid = orders[orders["is_completed"] & (orders["order_date"] <= as_of)].copy()
    valid = valid[valid["customer_id"].isin(customers["customer_id"])]
    valid["amount"] = valid["amount"].astype(float)
    window = valid[(as_of - valid["order_date"]).dt.days <= 364]
    by_date = valid.sort_values(["order_date", "product_category"])
    counts = (
        window.groupby(["customer_id", "product_category"])
        .size()
        .reset_index(name="n")
        .sort_values(
            ["customer_id", "n", "product_category"], ascending=[True, False, True]
        )
    )
    service = con.sql("select * from staging.stg_crm__service_interactions").df()
    service["day"] = pd.to_datetime(service["occurred_at"]).dt.normalize()
    days = (as_of - service["day"]).dt.days
    rated = service[(days >= 0) & (days <= 364) & service["satisfaction"].notna()]
    return {
        "window_amount_declared": window.groupby("customer_id")["amount"].sum(),
        "categories_ever": valid.groupby("customer_id")["product_category"].nunique(),
        "largest_order": valid.groupby("customer_id")["amount"].max(),
        "smallest_order": valid.groupby("customer_id")["amount"].min(),
        "first_category": by_date.groupby("customer_id")["product_category"].first(),
        "last_category": by_date.sort_values(
            ["order_date", "product_category"], ascending=[False, True]
        )
        .groupby("customer_id")["product_category"]
        .first(),
        "top_window_category": counts.groupby("customer_id")[
            "product_category"
        ].first(),
        "mean_rating_declared": rated.astype({"satisfaction": float})
        .groupby("customer_id")["satisfaction"]
        .mean(),
    }


DRAFT_TAG = {
    **PHONE_TAG,
    "name": "phone_heavy",
    "status": "draft",
    "label": {"zh": "电话重度用户", "en": "Heavy phone user"},
    "rule": {
        "bands": {
            "metric": "phone_interaction_count",
            "rungs": [{"op": ">=", "threshold": 3, "code": "frequent"}],
            "otherwise": "none",
        }
    },
}


# What the add-a-tag walk-through builds: the new tag's mart and everything the
# test reads downstream of it (the CRM table, the profile, the history and its
# changes, the declared metrics; later the draft's preview), models only; the mart's own
# data and unit tests run after it (`dbt test`). Every build of the copy uses the
# same vars per date, so dbt parses the copy fully once per date.
WALKTHROUGH = [
    "+customer_tag_changes",
    "+customer_profile",
    "+int_customers_orders_aggregated",
]


def run_project(
    project: Path,
    workdir: Path,
    command: list[str],
    as_of: str,
    succeeds: bool = True,
) -> list[str]:
    """dbt on the copy, on the dirty fixture without the CLV fits; the copy's
    first parse starts from the project's (run_dbt)."""
    run = run_dbt(
        command,
        workdir,
        FIXTURES / "raw_dirty",
        as_of,
        SMALL_DATA_VARS,
        project_dir=project,
        unit_tests=True,
        artifacts=True,
    )
    assert run.success == succeeds, "\n".join(run.messages[-40:])
    return run.messages


def test_a_tag_added_in_yaml_alone_reaches_everything(
    tmp_path: Path,
) -> None:
    project = copy_project(tmp_path / "project")
    workdir = tmp_path / "work"
    db = workdir / "warehouse.duckdb"

    # 1. An edit without `generate` stops dbt before any model.
    edit_yaml(
        project / "catalogue/metrics.yml",
        lambda data: data["declared"].extend([PHONE_METRIC, *MORE_METRICS]),
    )
    edit_yaml(project / SERVICE, lambda data: data["tags"].append(PHONE_TAG))
    messages = run_project(project, workdir, ["seed"], AS_OF, succeeds=False)
    assert "changed since the models, seeds and tests were generated" in "\n".join(
        messages
    )

    # 2. generate, then build: mart, CRM table with reasons, docs, tests, history.
    changed = generate(project)
    assert "models/marts/customer_tags/customer_tags_service.sql" in changed
    run_project(
        project, workdir, ["build", "--select", *WALKTHROUGH, *MODELS_ONLY], AS_OF
    )
    run_project(project, workdir, ["test", "--select", "customer_tags_service"], AS_OF)
    with duckdb.connect(str(db), read_only=True) as con:
        mart = dict(
            con.execute(
                "select phone_contact, count(*) from marts.customer_tags_service"
                " group by 1"
            ).fetchall()
        )
        expected = dict(
            con.execute(
                "select case when n >= 2 then 'frequent' when n = 1 then 'occasional'"
                " else 'none' end, count(*) from (select customers.customer_id,"
                " count(interactions.interaction_id) filter (where channel = 'phone'"
                f" and occurred_date between date '{AS_OF}' - 364 and date '{AS_OF}') n"
                " from staging.stg_crm__customers customers left join"
                " staging.stg_crm__service_interactions interactions using"
                " (customer_id)"
                " group by 1) group by 1"
            ).fetchall()
        )
        assert mart == expected and sum(mart.values()) > 0
        reasons = con.execute(
            "select value, reason_zh, reason_en, label_en from marts.customer_tags"
            " where tag = 'phone_contact' order by value"
        ).fetchall()
        assert reasons and all(zh and en for _, zh, en, _ in reasons)
        occasional = [row for row in reasons if row[0] == "occasional"]
        if occasional:
            assert occasional[0][1] == "近365天电话联系 1 次（= 1）"
            assert occasional[0][3] == "Occasional"
        history = con.execute(
            "select count(phone_contact) from history.customer_tags_service_history"
        ).fetchall()[0][0]
        assert history == sum(mart.values())
        profile = con.execute(
            "select count(phone_contact) from marts.customer_profile"
        ).fetchall()[0][0]
        assert profile == sum(mart.values())
    # every kind of declared aggregate, against pandas
    with duckdb.connect(str(db), read_only=True) as con:
        expected_metrics = expected_declared(con)
        for source in ("orders", "service_interactions"):
            frame = (
                con.sql(f"select * from intermediate.int_customers_{source}_aggregated")
                .df()
                .set_index("customer_id")
            )
            for name, series in expected_metrics.items():
                if name not in frame.columns:
                    continue
                got = frame[name].dropna()
                if name in ("window_amount_declared", "categories_ever"):
                    got = got[got != 0]
                    series = series[series != 0]
                got = (
                    got.astype(float)
                    if got.dtype.kind in "fiu"
                    or name
                    in (
                        "largest_order",
                        "smallest_order",
                        "window_amount_declared",
                        "mean_rating_declared",
                    )
                    else got
                )
                assert len(series) > 0, name
                assert sorted(got.index) == sorted(series.index), name
                for customer, value in series.items():
                    if isinstance(value, float):
                        assert abs(float(got[customer]) - value) < 1e-6, (
                            name,
                            customer,
                        )
                    else:
                        assert got[customer] == value, (name, customer)
    manifest = json.loads((workdir / "target/manifest.json").read_text())
    assert "doc.customer_tags.tag_phone_contact" in manifest["docs"]
    tests = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
    }
    assert "allowed_by_registry_customer_tags_service_phone_contact" in tests
    assert "customer_tags_service::phone_contact_band_boundaries" in {
        f"{node['model']}::{node['name']}" for node in manifest["unit_tests"].values()
    }
    tag_docs = (project / "docs/tags.md").read_text(encoding="utf-8")
    assert "`phone_contact` 电话联系（近365天）" in tag_docs

    # 3. Deprecate it and add a draft: the draft is only in its preview, the
    #    deprecated tag leaves the mart and the CRM table, its history stays and
    #    its removal is an explicit change.
    def deprecate(data: dict) -> None:  # type: ignore[type-arg]
        next(t for t in data["tags"] if t["name"] == "phone_contact")["status"] = (
            "deprecated"
        )
        data["tags"].append(DRAFT_TAG)

    edit_yaml(project / SERVICE, deprecate)
    generate(project)
    later = "2026-07-31"
    preview = [*WALKTHROUGH, "+preview_tags_service"]
    run_project(project, workdir, ["build", "--select", *preview, *MODELS_ONLY], later)
    with duckdb.connect(str(db), read_only=True) as con:
        columns = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns"
                " where table_name = 'customer_tags_service' and table_schema = 'marts'"
            ).fetchall()
        }
        assert "phone_contact" not in columns and "phone_heavy" not in columns
        preview = con.execute(
            "select count(phone_heavy) from preview.preview_tags_service"
        ).fetchall()[0][0]
        assert preview == sum(mart.values())
        crm = con.execute(
            "select count(*) from marts.customer_tags"
            " where tag in ('phone_contact', 'phone_heavy')"
        ).fetchall()[0][0]
        assert crm == 0
        removals = con.execute(
            "select change_type, count(*), count(new_value), min(changed_as_of)"
            " from marts.customer_tag_changes where tag = 'phone_contact' group by 1"
        ).fetchall()
        assert removals == [
            (
                "removed",
                sum(mart.values()),
                0,
                duckdb.sql(f"select date '{later}'").fetchall()[0][0],
            )
        ]
        kept = con.execute(
            "select count(*) from history.customer_tags_service_history"
            " where phone_contact is not null"
        ).fetchall()[0][0]
        assert kept == sum(mart.values())
        statuses = dict(
            con.execute(
                "select tag, status from reference.tag_registry"
                " where tag like 'phone_%'"
            ).fetchall()
        )
        assert statuses == {"phone_contact": "deprecated", "phone_heavy": "draft"}

    # 4. A deprecated tag can no longer be overridden by hand: the override is
    #    named as an unknown tag and stops the build.
    with duckdb.connect(str(db), read_only=True) as con:
        customer = con.execute(
            "select min(customer_id) from marts.customer_tags"
        ).fetchall()[0][0]
    (project / "seeds" / "tag_overrides.csv").write_text(
        "customer_id,tag,value,reason,reviewer,valid_from,valid_until\n"
        f"{customer},phone_contact,frequent,review,crm_ops,2026-07-01,\n"
    )
    messages = run_project(
        project,
        workdir,
        ["build", "--select", "tag_overrides", "int_tag_overrides_validated"],
        later,
        succeeds=False,
    )
    assert (
        f"row 1 (customer_id={customer}, tag=phone_contact, value=frequent):"
        " unknown tag (not an active tag of tag_registry)"
    ) in "\n".join(messages)
