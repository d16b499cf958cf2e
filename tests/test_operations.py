"""Tag operations: history (models/history, customer_tag_changes, the migration matrix),
back-dated builds, manual review overrides, the unified long table and profile,
and tag health.

The demo build (session fixture) checks the operations tables against the marts.
A small generated data set is built for three as_of dates in order (each build
writes its slice of the history), with an overrides file whose rows become valid
and expire over those dates and a customer added to the raw data after the first
build; the recorded changes (and their causes), the applied overrides and the
migration matrix are compared with values computed here from the three builds'
marts. The same dates built out of order give the same history.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from dbt_helpers import (
    AS_OF,
    FIXTURES,
    MODELS_ONLY,
    ROOT,
    SMALL_DATA_VARS,
    DbtRun,
    copy_project,
    edit_yaml,
    generated_raw,
    run_dbt,
)
from tag_oracle import oracle_tags

from tag_warehouse.catalogue.cli import generate
from tag_warehouse.devtools.generate import write
from tag_warehouse.lineage import read_registry

REGISTRY = read_registry(ROOT / "seeds" / "tag_registry.csv")
TAGS = {row["tag"]: row for row in REGISTRY}
MARTS = sorted({row["mart"] for row in REGISTRY})
DATES = ["2026-04-30", "2026-05-31", "2026-06-30"]
# Added to the raw customers after the first build: first seen at DATES[1].
NEW_CUSTOMER = "C09999999"
HISTORY_CAUSES = ("rule", "data", "time")
OVERRIDE_COLUMNS = [
    "customer_id",
    "tag",
    "value",
    "reason",
    "reviewer",
    "valid_from",
    "valid_until",
]


def operations_build(with_tests: bool) -> list[str]:
    """`dbt build` of the operations models and their parents (the history models);
    with the operations tests only, or with no test (the demo build runs them all)."""
    tests = [
        "resource_type:test,path:models/marts/operations",
        "resource_type:test,path:models/intermediate/operations",
        "resource_type:test,path:models/history",
    ]
    return [
        "build",
        "--select",
        "+tag:operations",
        *(tests if with_tests else []),
        "--indirect-selection",
        "empty",
        "--exclude-resource-type",
        "unit_test",
    ]


def tag_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every tag of every customer from the marts: (customer_id, tag) -> value."""
    frames = []
    for mart in MARTS:
        tags = [row["tag"] for row in REGISTRY if row["mart"] == mart]
        wide = con.sql(f"select customer_id, {', '.join(tags)} from marts.{mart}").df()
        long = wide.melt(id_vars="customer_id", var_name="tag", value_name="value")
        long["mart"] = mart
        frames.append(long)
    frame = pd.concat(frames)
    frame["value"] = frame["value"].astype(str)
    return frame.set_index(["customer_id", "tag"]).sort_index()


def table(run: DbtRun, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        return con.sql(sql).df()


def write_overrides(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=OVERRIDE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


# ---- the demo build: long table, profile, health against the marts -------------


def test_history_models_keep_the_registry_tag_columns(demo_build: DbtRun) -> None:
    """One history model per tag mart (and the audiences'), incremental with one
    slice per as_of_date (delete+insert on DuckDB), tagged with the mart's cadence,
    holding the key, the date, every tag column and recorded_at."""
    manifest = json.loads((demo_build.target_path / "manifest.json").read_text())
    assert not [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "snapshot"
    ]
    histories = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "history"
    }
    # one per tag mart, and the audiences' (tests/test_audience_builds.py)
    audiences = {"customer_audiences_history"}
    assert set(histories) == {f"{mart}_history" for mart in MARTS} | audiences
    for mart in MARTS:
        config = histories[f"{mart}_history"]["config"]
        tags = [row["tag"] for row in REGISTRY if row["mart"] == mart]
        assert config["materialized"] == "incremental"
        assert config["incremental_strategy"] == "delete+insert"
        assert config["unique_key"] == "as_of_date"
        assert TAGS[tags[0]]["cadence"] in config["tags"]
        columns = [
            name
            for (name,) in demo_build.query(
                "select column_name from information_schema.columns"
                f" where table_schema = 'history' and table_name = '{mart}_history'"
                " order by ordinal_position"
            )
        ]
        assert columns == ["customer_id", "as_of_date", *tags, "recorded_at"]


def test_customer_tags_is_the_marts_in_long_form(demo_build: DbtRun) -> None:
    with duckdb.connect(str(demo_build.db_path), read_only=True) as con:
        expected = tag_frame(con)
        labels = con.sql("select * from reference.tag_value_labels").df()
        long = con.sql("select * from marts.customer_tags").df()
        customers = con.sql(
            "select count(*) from staging.stg_crm__customers"
        ).fetchall()[0]
    assert len(long) == customers[0] * len(REGISTRY) == len(expected)
    long = long.set_index(["customer_id", "tag"]).sort_index()
    assert long.index.is_unique
    assert long.index.equals(expected.index)
    assert (long["value"] == expected["value"]).all()
    assert (long["rule_value"] == long["value"]).all()
    assert set(long["assigned_by"]) == {"rule", "model"}
    by_tag = long.reset_index().groupby("tag")
    for tag in (name for name, row in TAGS.items() if row["assigned_by"] == "model"):
        assert set(by_tag.get_group(tag)["assigned_by"]) == {"model"}
    tags = long.index.get_level_values("tag")
    assert (long["dimension"] == [TAGS[tag]["dimension"] for tag in tags]).all()
    sources = [TAGS[tag]["authoritative_source"] for tag in tags]
    assert (long["authoritative_source"] == sources).all()
    labelled = long.reset_index().merge(
        labels, on=["tag", "value"], how="left", suffixes=("", "_seed")
    )
    for language in ("zh", "en"):
        wanted = labelled[f"label_{language}_seed"].fillna(labelled["value"])
        assert (labelled[f"label_{language}"] == wanted).all()
    categories = labelled[labelled["tag"] == "product_preference"]
    assert (categories["label_en"] == categories["value"]).any()
    assert long["override_row"].isna().all()


def test_customer_profile_is_one_row_per_customer_with_every_tag(
    demo_build: DbtRun,
) -> None:
    with duckdb.connect(str(demo_build.db_path), read_only=True) as con:
        expected = tag_frame(con)["value"].unstack("tag")
        profile = con.sql("select * from marts.customer_profile").df()
        types = dict(
            con.sql(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'marts' and table_name = 'customer_profile'"
            ).fetchall()
        )
    profile = profile.set_index("customer_id").sort_index()
    assert profile.index.is_unique
    assert list(profile.index) == list(expected.index)
    assert set(profile.columns) == {"as_of_date", "manual_tags", *TAGS}
    for tag, row in TAGS.items():
        assert (profile[tag].astype(str) == expected[tag]).all(), tag
        wanted_type = "INTEGER" if row["value_type"] == "integer" else "VARCHAR"
        assert types[tag] == wanted_type, tag
    assert profile["manual_tags"].isna().all()


def test_tag_health_reports_unknown_and_other_shares(demo_build: DbtRun) -> None:
    with duckdb.connect(str(demo_build.db_path), read_only=True) as con:
        values = tag_frame(con).reset_index()
    health = table(demo_build, "select * from marts.tag_health").set_index("tag")
    assert set(health.index) == set(TAGS)
    for tag, rows in values.groupby("tag"):
        counts = rows["value"].value_counts()
        assert health.loc[tag, "customers"] == len(rows)
        assert health.loc[tag, "unknown_customers"] == counts.get("unknown", 0)
        assert health.loc[tag, "unknown_share"] == pytest.approx(
            counts.get("unknown", 0) / len(rows)
        )
        assert health.loc[tag, "other_share"] == pytest.approx(
            counts.get("other", 0) / len(rows)
        )
        assert health.loc[tag, "top_value_share"] == pytest.approx(
            counts.max() / len(rows)
        )
        # One build of the history so far: nothing changed yet.
        assert health.loc[tag, "changed_customers"] == 0
    results = json.loads((demo_build.target_path / "run_results.json").read_text())
    status = next(
        result["status"]
        for result in results["results"]
        if ".tag_health_unknown_share_below_limit." in result["unique_id"]
    )
    over = health[health["unknown_share"] > 0.5]
    assert status == ("warn" if len(over) else "pass"), over


# ---- three back-dated builds in order, each writing its history slice ---------


@dataclass
class DatedBuilds:
    """The small data set built for DATES in order, and what each build held."""

    raw_dir: Path
    workdir: Path
    tables: dict[str, Any]
    overrides: Path
    override_rows: list[dict[str, str]]
    runs: dict[str, DbtRun]
    marts: dict[str, pd.DataFrame]
    long: dict[str, pd.DataFrame]
    profiles: dict[str, pd.DataFrame]

    @property
    def last(self) -> DbtRun:
        return self.runs[DATES[-1]]

    def extra_vars(self) -> dict[str, Any]:
        return {**SMALL_DATA_VARS, "tag_overrides_path": str(self.overrides)}


def sequence_overrides(customers: list[str]) -> list[dict[str, str]]:
    """Overrides whose validity windows start and end between the build dates."""
    first, second, third = customers[:3]
    review = {"reason": "key account review", "reviewer": "crm_ops"}
    return [
        # pending on 04-30, active on 05-31, expired on 06-30
        {"customer_id": first, "tag": "customer_level", "value": "vip", **review}
        | {"valid_from": "2026-05-15", "valid_until": "2026-06-15"},
        # open-ended, active on every date (upper-case and spaces are normalised)
        {"customer_id": second, "tag": " Lifecycle_Stage", "value": "AT_RISK "}
        | review
        | {"valid_from": "2026-01-01", "valid_until": ""},
        # an open tag (product categories): any lower-case code; active on 06-30
        {"customer_id": first, "tag": "product_preference", "value": "key_accounts"}
        | review
        | {"valid_from": "2026/6/1", "valid_until": "2026-06-30"},
        # an integer tag, valid for one day only: active on 04-30, then expired
        {"customer_id": third, "tag": "r_score", "value": "5", **review}
        | {"valid_from": "2026-04-30", "valid_until": "2026-04-30"},
    ]


def add_customer(raw_dir: Path, tables: dict[str, Any], customer_id: str) -> None:
    """Append a customer without orders to the raw customers file (a copy of the
    last one under a new id), as the next daily export would bring one."""
    customers = tables["customers"]
    row = customers.slice(customers.num_rows - 1, 1).to_pylist()[0]
    row |= {"customer_id": customer_id, "email": f"{customer_id.lower()}@example.cn"}
    added = pa.Table.from_pylist([row], schema=customers.schema)
    write({"customers": pa.concat_tables([customers, added])}, raw_dir, "parquet")


@pytest.fixture(scope="module")
def dated_builds(tmp_path_factory: pytest.TempPathFactory) -> DatedBuilds:
    raw_dir = tmp_path_factory.mktemp("dated_raw")
    tables = generated_raw(
        raw_dir, customers=200, seed=11, dirty_rate=0.0, fmt="parquet"
    )
    customers = sorted(tables["customers"].column("customer_id").to_pylist())
    workdir = tmp_path_factory.mktemp("dated")
    overrides = workdir / "overrides.csv"
    rows = sequence_overrides(customers)
    write_overrides(overrides, rows)
    builds = DatedBuilds(raw_dir, workdir, tables, overrides, rows, {}, {}, {}, {})
    for as_of in DATES:
        if as_of == DATES[1]:
            add_customer(raw_dir, tables, NEW_CUSTOMER)
        run = run_dbt(
            operations_build(with_tests=as_of == DATES[-1]),
            workdir,
            raw_dir,
            as_of,
            extra_vars=builds.extra_vars(),
            artifacts=as_of == DATES[-1],  # its tests' results are read
        )
        assert run.success, run.log
        builds.runs[as_of] = run
        with duckdb.connect(str(run.db_path), read_only=True) as con:
            builds.marts[as_of] = tag_frame(con)
            builds.long[as_of] = (
                con.sql("select * from marts.customer_tags")
                .df()
                .set_index(["customer_id", "tag"])
                .sort_index()
            )
            builds.profiles[as_of] = (
                con.sql("select * from marts.customer_profile")
                .df()
                .set_index("customer_id")
            )
    return builds


def expected_changes(marts: dict[str, pd.DataFrame]) -> set[tuple[Any, ...]]:
    """The changes the history of the three builds must give: per mart, a
    customer's row gets a new version (dated by the build's as_of_date) when any of
    its tags differs from the previous build; each differing tag is one change,
    from the value of the customer's previous version. A customer first seen at a
    build gets one added row per tag (no old value, from the build before)."""
    changes = set()
    version_date: dict[tuple[str, str], str] = {}  # (mart, customer) -> as_of
    for previous, current in zip(DATES, DATES[1:], strict=False):
        old, new = marts[previous], marts[current]
        kept = new.index.intersection(old.index)
        differs = old.loc[kept, "value"] != new.loc[kept, "value"]
        changed = new.loc[kept][differs.to_numpy()]
        for (customer, tag), row in changed.iterrows():
            changes.add(
                (
                    customer,
                    TAGS[tag]["dimension"],
                    tag,
                    old.loc[(customer, tag), "value"],
                    row["value"],
                    dt.date.fromisoformat(current),
                    dt.date.fromisoformat(
                        version_date.get((row["mart"], customer), DATES[0])
                    ),
                )
            )
        for (customer, _), mart in changed["mart"].items():
            version_date[(mart, customer)] = current
        for (customer, tag), row in new.drop(kept).iterrows():
            changes.add(
                (
                    customer,
                    TAGS[tag]["dimension"],
                    tag,
                    None,
                    row["value"],
                    dt.date.fromisoformat(current),
                    dt.date.fromisoformat(previous),
                )
            )
            version_date[(row["mart"], customer)] = current
    return changes


def test_backdated_builds_reproduce_that_days_tags(dated_builds: DatedBuilds) -> None:
    """A build for a past date equals the spec applied to the same raw data on
    that date (the oracle reads the last build's staging, filtered by date)."""
    with duckdb.connect(str(dated_builds.last.db_path), read_only=True) as con:
        expected = oracle_tags(con, dt.date.fromisoformat(DATES[0]))
    expected = expected.drop(index=NEW_CUSTOMER)  # not in the raw data then
    actual = dated_builds.marts[DATES[0]]["value"].unstack("tag")
    assert list(actual.index) == list(expected.index)
    for tag in expected.columns:
        assert (actual[tag] == expected[tag].astype(str)).all(), tag
    assert not dated_builds.marts[DATES[0]].equals(dated_builds.marts[DATES[1]])


def test_rfm_cut_history_keeps_one_row_per_build(dated_builds: DatedBuilds) -> None:
    """rfm_segment_cuts keeps every build's cuts (incremental on as_of_date), each
    with the population of that build's segmented customers."""
    cuts = table(
        dated_builds.last,
        "select strftime(as_of_date, '%Y-%m-%d') as as_of_date, cut_method,"
        " population_size from marts.rfm_segment_cuts order by 1",
    )
    assert list(cuts["as_of_date"]) == DATES
    assert set(cuts["cut_method"]) == {"mean"}
    for as_of, population in zip(DATES, cuts["population_size"], strict=True):
        segments = dated_builds.marts[as_of].xs("rfm_segment", level="tag")["value"]
        assert population == (segments != "none").sum() > 0


def test_history_records_exactly_the_tag_changes(dated_builds: DatedBuilds) -> None:
    recorded = dated_builds.last.query(
        "select customer_id, dimension, tag, old_value, new_value, changed_as_of,"
        " previous_as_of from marts.customer_tag_changes"
        " where cause not in ('override_applied', 'override_expired')"
    )
    expected = expected_changes(dated_builds.marts)
    assert len(expected) > 100
    assert {row[5] for row in recorded} == {dt.date.fromisoformat(d) for d in DATES[1:]}
    assert len(recorded) == len(set(recorded))
    assert set(recorded) == expected
    versions = dated_builds.last.scalar(
        "select count(*) from intermediate.int_tag_history_versions_unpivoted"
        " where tag = 'region'"
    )
    # the basic tags never change here: one version per customer, the new one too
    last = dated_builds.marts[DATES[-1]]
    assert versions == len(last.loc[(slice(None), "region"), :])


CHANGE_LOG = (
    "select customer_id, dimension, tag, old_value, new_value, change_type,"
    " changed_as_of, previous_as_of, cause from marts.customer_tag_changes"
)


def histories(run: DbtRun) -> dict[str, pd.DataFrame]:
    """Each tag history model's rows but recorded_at (when it was written),
    sorted by customer and date."""
    frames = {}
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        for mart in MARTS:
            frame = con.sql(f"select * from history.{mart}_history").df()
            frames[mart] = (
                frame.drop(columns="recorded_at")
                .sort_values(["customer_id", "as_of_date"])
                .reset_index(drop=True)
            )
    return frames


def change_log(run: DbtRun) -> pd.DataFrame:
    columns = [
        "customer_id",
        "tag",
        "changed_as_of",
        "previous_as_of",
        "change_type",
        "old_value",
        "new_value",
        "cause",
    ]
    return table(run, CHANGE_LOG).sort_values(columns).reset_index(drop=True)


def test_history_built_out_of_order_equals_the_in_order_one(
    dated_builds: DatedBuilds, tmp_path: Path
) -> None:
    """The dated builds' three dates built again from scratch in the order d3, d1,
    d2 (each with the raw customers of its date: the new customer from d2 on;
    only what the change log needs) give the same history slices and the same
    change log as the in-order builds: every change, its dates and values, the
    new customer and the overrides. Only a cause can differ, for a change dated
    after the last build: staging holds the events up to the build's date, so a
    change at d3 seen from the d2 build finds no event after d2 (data -> time;
    docs/operations.md: end a backfill with the latest date). Building d2 once
    more replaces its slice: history and change log unchanged. Tag health of d1
    and d2, which reads the history up to its date, is the in-order one."""
    without_new = tmp_path / "raw_before_new_customer"
    write(dated_builds.tables, without_new, "parquet")
    workdir = tmp_path / "out_of_order"

    def build(as_of: str) -> DbtRun:
        raw_dir = without_new if as_of == DATES[0] else dated_builds.raw_dir
        run = run_dbt(
            ["build", "--select", "+customer_tag_changes", "+tag_health", *MODELS_ONLY],
            workdir,
            raw_dir,
            as_of,
            extra_vars=dated_builds.extra_vars(),
        )
        assert run.success, run.log
        return run

    for as_of in (DATES[2], DATES[0]):
        build(as_of)
    third = build(DATES[1])
    in_order = histories(dated_builds.last)
    out_of_order = histories(third)
    for mart in MARTS:
        pd.testing.assert_frame_equal(out_of_order[mart], in_order[mart])
    changes = change_log(third)
    expected = change_log(dated_builds.last)
    pd.testing.assert_frame_equal(
        changes.drop(columns="cause"), expected.drop(columns="cause")
    )
    after_last = changes["changed_as_of"] > pd.Timestamp(DATES[1])
    assert changes["cause"][~after_last].equals(expected["cause"][~after_last])
    differs = changes["cause"] != expected["cause"]
    assert set(changes["cause"][differs]) <= {"time"}
    assert set(expected["cause"][differs]) <= {"data"}
    assert set(changes["cause"]) >= {"new_customer", "override_applied", "data"}

    # tag health of d1 and d2 reads the history up to its date: as in order (d3's
    # row was built first, when the history held d3 alone)
    health = (
        f"select * from marts.tag_health where as_of_date < '{DATES[2]}'"
        " order by as_of_date, tag"
    )
    pd.testing.assert_frame_equal(
        table(third, health), table(dated_builds.last, health)
    )

    rebuilt = build(DATES[1])
    for mart, frame in histories(rebuilt).items():
        pd.testing.assert_frame_equal(frame, out_of_order[mart])
    pd.testing.assert_frame_equal(change_log(rebuilt), changes)


def test_tag_health_shows_changes_since_the_previous_version_date(
    dated_builds: DatedBuilds,
) -> None:
    health = table(
        dated_builds.last,
        f"select * from marts.tag_health where as_of_date = '{DATES[-1]}'",
    ).set_index("tag")
    marts = dated_builds.marts

    def mart_rows(as_of: str, mart: str) -> pd.Series:
        return marts[as_of][marts[as_of]["mart"] == mart]["value"]

    for mart in MARTS:
        # the latest build date at which any row of the mart changed or a new
        # customer's row was added
        changed_at = [
            (previous, current)
            for previous, current in zip(DATES, DATES[1:], strict=False)
            if not mart_rows(previous, mart).equals(mart_rows(current, mart))
        ]
        previous, current = changed_at[-1] if changed_at else (None, DATES[0])
        for tag in [row["tag"] for row in REGISTRY if row["mart"] == mart]:
            assert str(health.loc[tag, "snapshot_as_of"].date()) == current, tag
            if previous is None:
                assert health.loc[tag, "changed_customers"] == 0, tag
                continue
            old = marts[previous].xs(tag, level="tag")["value"]
            new = marts[current].xs(tag, level="tag")["value"]
            # rule-value changes of the customers of both builds, not new ones
            changed = old != new.loc[old.index]
            customers = len(marts[DATES[-1]].xs(tag, level="tag"))
            assert health.loc[tag, "changed_customers"] == changed.sum(), tag
            assert health.loc[tag, "changed_share"] == pytest.approx(
                changed.sum() / customers
            )


def value_shares(marts: pd.DataFrame) -> pd.Series:
    """(tag, value) -> share of the tag's customers, from one build's marts."""
    return marts.groupby("tag")["value"].value_counts(normalize=True)


def copy_warehouse(builds: DatedBuilds, tmp_path: Path) -> Path:
    """A workdir holding a copy of the dated builds' warehouse, for a build that
    must not change the shared one."""
    workdir = tmp_path / "copy"
    workdir.mkdir()
    shutil.copy(builds.workdir / "warehouse.duckdb", workdir / "warehouse.duckdb")
    return workdir


def test_tag_health_keeps_every_builds_value_shares(
    dated_builds: DatedBuilds, tmp_path: Path
) -> None:
    """tag_health and tag_value_health keep one build per as_of_date; each build's
    shares and coverage are that build's marts'; rebuilding a date replaces its
    rows (idempotent) and leaves the other dates alone."""
    select = (
        "select strftime(as_of_date, '%Y-%m-%d') as as_of_date, tag, tag_value,"
        " customers, value_share, coverage from marts.tag_value_health order by 1, 2, 3"
    )
    history = table(dated_builds.last, select)
    assert sorted(set(history["as_of_date"])) == DATES
    for as_of in DATES:
        expected = value_shares(dated_builds.marts[as_of])
        rows = history[history["as_of_date"] == as_of].set_index(["tag", "tag_value"])
        assert set(rows.index) == set(expected.index), as_of
        for key, share in expected.items():
            assert rows.loc[key, "value_share"] == pytest.approx(share), (as_of, key)
        covered = ~dated_builds.marts[as_of]["value"].isin(["unknown", "none"])
        coverage = covered.groupby(level="tag").mean()
        assert coverage.min() < coverage.max() == 1
        for tag, share in coverage.items():
            assert list(rows.loc[tag, "coverage"]) == pytest.approx(
                [share] * len(rows.loc[tag])
            ), (as_of, tag)
    health = table(
        dated_builds.last,
        "select strftime(as_of_date, '%Y-%m-%d') as d, count(*) as n"
        " from marts.tag_health group by 1 order by 1",
    )
    assert list(health["d"]) == DATES
    assert set(health["n"]) == {len(TAGS)}
    rebuilt = run_dbt(
        ["run", "--select", "tag_health", "tag_value_health"],
        copy_warehouse(dated_builds, tmp_path),
        dated_builds.raw_dir,
        DATES[-1],
        extra_vars=dated_builds.extra_vars(),
    )
    assert rebuilt.success, rebuilt.log
    assert table(rebuilt, select).equals(history)


def test_drift_test_names_the_tag_value_and_both_shares(
    dated_builds: DatedBuilds, tmp_path: Path
) -> None:
    """The drift test compares the last build with the one before it: it warns
    exactly when some share moved more than tag_drift_max_points. A planted rule
    change (recency's first band cut to 5 days on a copy of the warehouse, the
    drift severity set to error) moves recency's shares and blocks the build,
    naming the tag, the value and both shares."""
    moved = (
        value_shares(dated_builds.marts[DATES[-1]])
        .sub(value_shares(dated_builds.marts[DATES[-2]]), fill_value=0)
        .abs()
    )
    run_results = dated_builds.last.target_path / "run_results.json"
    results = json.loads(run_results.read_text())
    status = next(
        result["status"]
        for result in results["results"]
        if ".tag_value_share_drift_within_limit." in result["unique_id"]
    )
    assert status == ("warn" if (moved > 0.10).any() else "pass"), moved.max()

    before = value_shares(dated_builds.marts[DATES[-2]])["recency"]
    planted = run_dbt(
        [
            "build",
            "--select",
            "customer_tags_behavior",
            "tag_value_health",
            "--exclude",
            "resource_type:unit_test",
            "--indirect-selection",
            "cautious",
        ],
        copy_warehouse(dated_builds, tmp_path),
        dated_builds.raw_dir,
        DATES[-1],
        extra_vars={
            **dated_builds.extra_vars(),
            "recency_within_30d_max_days": 5,
            "tag_drift_severity": "error",
        },
    )
    assert not planted.success
    after = planted.query(
        "select tag_value, value_share from marts.tag_value_health"
        f" where tag = 'recency' and as_of_date = '{DATES[-1]}'"
    )
    after_share = dict(after)
    drifted = {
        value
        for value in set(before.index) | set(after_share)
        if abs(after_share.get(value, 0) - before.get(value, 0)) > 0.10
    }
    assert "within_30d" in drifted
    line = next(
        message
        for message in planted.messages
        if "share drift" in message and "recency = within_30d" in message
    )
    # from the previous build kept (05-31), not the replaced 06-30 rows
    assert f"from {before['within_30d'] * 100:.1f} % on {DATES[-2]}" in line
    assert f"to {after_share['within_30d'] * 100:.1f} % on {DATES[-1]}" in line
    assert "limit 10 points" in line
    assert "Failure in test tag_value_share_drift_within_limit" in planted.log


def test_bad_drift_vars_stop_before_any_sql(
    dated_builds: DatedBuilds, tmp_path: Path
) -> None:
    run = run_dbt(
        ["run", "--select", "stg_crm__customers"],
        tmp_path,
        dated_builds.raw_dir,
        extra_vars={
            "tag_drift_severity": "block",
            "tag_drift_max_points": -1,
            "tag_backtest_severity": "loud",
            "tag_backtest_horizon_days": 0,
        },
        stops_at_var_check=True,
    )
    assert not run.success
    assert "tag_drift_severity must be warn or error, got 'block'" in run.log
    assert "tag_drift_max_points" in run.log
    assert "tag_backtest_severity must be warn or error, got 'loud'" in run.log
    assert "tag_backtest_horizon_days must be between 1 and 3660, got 0" in run.log
    assert not (tmp_path / "warehouse.duckdb").exists() or not run.query(
        "select * from information_schema.tables where table_schema = 'staging'"
    )


BACKTEST_HORIZON = 90  # days: the default tag_backtest_horizon_days


def expected_backtest(
    tags: pd.Series, orders: pd.DataFrame, start: str, end: str
) -> pd.DataFrame:
    """(tag, value) -> customers, repurchase_share and mean_spend (over every
    customer, 0 for the silent ones) of the customers holding the value in tags,
    from their completed orders dated in (start, end]."""
    window = orders[(orders["order_date"] > start) & (orders["order_date"] <= end)]
    spend = window.groupby("customer_id")["amount"].sum()
    frame = tags.rename("value").reset_index()
    frame["bought"] = frame["customer_id"].isin(spend.index)
    frame["spend"] = frame["customer_id"].map(spend).fillna(0.0)
    return (
        frame.groupby(["tag", "value"])
        .agg(
            customers=("bought", "size"),
            repurchase_share=("bought", "mean"),
            mean_spend=("spend", "mean"),
        )
        .sort_index()
    )


def result_status(run: DbtRun, name: str) -> str:
    results = json.loads((run.target_path / "run_results.json").read_text())
    return next(
        result["status"]
        for result in results["results"]
        if result["unique_id"].startswith("test.")
        and f".{name}." in result["unique_id"]
    )


def test_outcome_backtest_ranks_lifecycle_stages_as_expected(
    demo_raw_dir: Path, tmp_path: Path
) -> None:
    """The generated data set (2,000 customers) built as of AS_OF - 90 days, with
    the history: no build is a horizon back, the backtest is empty. Then as of
    AS_OF (the backtest and what it reads only): it holds the first build's tags,
    read from the history, and the completed orders of their customers in the 90
    days after, as computed here; lifecycle stages rank active > at_risk >
    churned in repurchase share and the order test passes. With lifecycle's
    expected order reversed in the catalogue of a copy of the project, the same
    test warns, naming the tag, both values and both shares."""
    as_of = dt.date.fromisoformat(AS_OF)
    base = str(as_of - dt.timedelta(days=BACKTEST_HORIZON))
    workdir = tmp_path / "backtest"
    first = run_dbt(
        ["build", "--select", "+tag_outcome_backtest", *MODELS_ONLY],
        workdir,
        demo_raw_dir,
        base,
        extra_vars=SMALL_DATA_VARS,
    )
    assert first.success, first.log
    assert first.scalar("select count(*) from marts.tag_outcome_backtest") == 0
    with duckdb.connect(str(first.db_path), read_only=True) as con:
        base_tags = tag_frame(con)["value"]
    run = run_dbt(
        [
            "build",
            "--select",
            "+stg_crm__orders",
            "tag_rule_fingerprints",
            "tag_outcome_backtest",
            "tag_outcome_backtest_order_as_expected",
            "--exclude",
            "resource_type:unit_test",
            "--indirect-selection",
            "empty",
        ],
        workdir,
        demo_raw_dir,
        AS_OF,
        extra_vars=SMALL_DATA_VARS,
        artifacts=True,
    )
    assert run.success, run.log
    backtest = (
        table(
            run,
            "select tag, tag_value as value, strftime(tags_as_of, '%Y-%m-%d') as base,"
            " horizon_days, customers, repurchase_share, silent_share,"
            " cast(mean_spend as double) as mean_spend from marts.tag_outcome_backtest",
        )
        .set_index(["tag", "value"])
        .sort_index()
    )
    orders = table(
        run,
        "select customer_id, strftime(order_date, '%Y-%m-%d') as order_date,"
        " cast(amount as double) as amount from staging.stg_crm__orders"
        " where is_completed",
    )
    expected = expected_backtest(base_tags, orders, base, AS_OF)
    assert set(backtest["base"]) == {base}
    assert set(backtest["horizon_days"]) == {BACKTEST_HORIZON}
    assert list(backtest.index) == list(expected.index)
    assert list(backtest["customers"]) == list(expected["customers"])
    assert list(backtest["repurchase_share"]) == pytest.approx(
        list(expected["repurchase_share"])
    )
    assert list(backtest["silent_share"]) == pytest.approx(
        list(1 - expected["repurchase_share"])
    )
    assert list(backtest["mean_spend"]) == pytest.approx(
        list(expected["mean_spend"]), abs=1e-4
    )
    stages = backtest.loc["lifecycle_stage", "repurchase_share"]
    assert stages["active"] > stages["at_risk"] > stages["churned"], stages
    assert result_status(run, "tag_outcome_backtest_order_as_expected") == "pass"

    project = copy_project(tmp_path / "project")
    edit_yaml(
        project / "catalogue/tags/lifecycle.yml",
        lambda data: data["tags"][0]["expected_outcome"]["order"].reverse(),
    )
    generate(project)
    planted_dir = tmp_path / "planted"
    planted_dir.mkdir()
    shutil.copy(run.db_path, planted_dir / "warehouse.duckdb")
    planted = run_dbt(
        ["test", "--select", "tag_outcome_backtest_order_as_expected"],
        planted_dir,
        demo_raw_dir,
        AS_OF,
        extra_vars=SMALL_DATA_VARS,
        project_dir=project,
        artifacts=True,
    )
    assert planted.success, planted.log  # warn, the default severity
    assert result_status(planted, "tag_outcome_backtest_order_as_expected") == "warn"
    lines = [m for m in planted.messages if "backtest contradicts" in m]
    assert len(lines) == 3, lines  # every pair of the three stages
    line = next(m for m in lines if "lifecycle_stage = churned" in m)
    assert (
        f"lifecycle_stage = churned (repurchase_share {stages['churned']:.3f}) is"
        f" expected above active ({stages['active']:.3f}); tags as of {base},"
        f" outcomes in the {BACKTEST_HORIZON} days after"
    ) in line, line


SOURCE_EVENTS = """
    select customer_id, 'orders' as source, order_date as event_date
    from staging.stg_crm__orders
    union all
    select customer_id, 'service_interactions', cast(occurred_at as date)
    from staging.stg_crm__service_interactions
    union all
    select customer_id, 'customers', cast(updated_at as date)
    from staging.stg_crm__customers
"""


def expected_causes(
    run: DbtRun, rule_changed: set[tuple[str, str]]
) -> tuple[pd.Series, pd.Series]:
    """(customer, tag, changed_as_of) -> cause, computed here and as recorded:
    rule when (tag, changed_as_of) is in rule_changed, data when the customer had
    an event of the tag's source after previous_as_of up to changed_as_of, else
    time."""
    events = table(run, SOURCE_EVENTS)
    changes = table(
        run,
        "select customer_id, tag, strftime(previous_as_of, '%Y-%m-%d') as old,"
        " strftime(changed_as_of, '%Y-%m-%d') as new, cause"
        " from marts.customer_tag_changes where change_type != 'added'"
        " and cause not in ('override_applied', 'override_expired')",
    )
    causes = {}
    for row in changes.itertuples():
        sources = TAGS[row.tag]["authoritative_source"].split("|")
        mine = events[
            (events["customer_id"] == row.customer_id) & events["source"].isin(sources)
        ]["event_date"].astype(str)
        if (row.tag, row.new) in rule_changed:
            cause = "rule"
        elif ((mine > row.old) & (mine <= row.new)).any():
            cause = "data"
        else:
            cause = "time"
        causes[(row.customer_id, row.tag, row.new)] = cause
    return pd.Series(causes).sort_index(), changes.set_index(
        ["customer_id", "tag", "new"]
    )["cause"].sort_index()


def test_each_tag_change_has_its_cause(
    dated_builds: DatedBuilds, tmp_path: Path
) -> None:
    """Without a rule change between the three builds every change is data (the
    customer had a new order, interaction or record update between the builds)
    or time (nothing new: e.g. recency moving a band). A fourth build on a copy
    of the warehouse with recency's first band cut to 20 days records recency's
    changes at that date as rule, and the behaviour mart's other tags' as data
    or time; the fingerprints differ only for recency."""
    expected, actual = expected_causes(dated_builds.last, set())
    assert set(actual) == {"data", "time"}
    assert actual.equals(expected)

    later = "2026-07-31"
    fourth = run_dbt(
        [
            "build",
            "--select",
            "+customer_tags_behavior",
            "customer_tags_behavior_history",
            "tag_rule_fingerprints",
            "int_tag_history_versions_unpivoted",
            "customer_tag_changes",
            *MODELS_ONLY,
        ],
        copy_warehouse(dated_builds, tmp_path),
        dated_builds.raw_dir,
        later,
        extra_vars={**dated_builds.extra_vars(), "recency_within_30d_max_days": 20},
    )
    assert fourth.success, fourth.log
    changed = fourth.query(
        "select new.tag from marts.tag_rule_fingerprints as new"
        " inner join marts.tag_rule_fingerprints as old on new.tag = old.tag"
        f" where new.as_of_date = '{later}' and old.as_of_date = '{DATES[-1]}'"
        " and new.fingerprint != old.fingerprint"
    )
    assert changed == [("recency",)]
    expected, actual = expected_causes(fourth, {("recency", later)})
    assert actual.equals(expected)
    at_later = actual.xs(later, level="new")
    assert set(at_later.xs("recency", level="tag")) == {"rule"}
    assert {"data", "time"} & set(at_later.drop("recency", level="tag"))
    # with the new customer and the overrides (test below): every cause
    causes = {
        cause
        for (cause,) in fourth.query(
            "select distinct cause from marts.customer_tag_changes"
        )
    }
    assert causes == {*HISTORY_CAUSES, "new_customer"} | OVERRIDE_CAUSES


OVERRIDE_CAUSES = {"override_applied", "override_expired"}


def override_row(row: pd.Series) -> int | None:
    """The override a customer_tags row shows (None: the rule's value)."""
    return None if pd.isna(row["override_row"]) else int(row["override_row"])


def expected_override_changes(builds: DatedBuilds) -> set[tuple[Any, ...]]:
    """What the CRM table (customer_tags) of consecutive builds P < D shows of
    each overridden customer's tag: an override valid at D and not at P (or
    another one at P) is applied, from the value shown at P; one valid at P and
    at D no more (none replacing it) expired, to the rule value shown at D; the
    same value on both sides is no change."""
    keys = {
        (row["customer_id"], row["tag"].strip().lower()) for row in builds.override_rows
    }
    changes = set()
    for previous, current in zip(DATES, DATES[1:], strict=False):
        old, new = builds.long[previous], builds.long[current]
        for key in keys:
            before, after = old.loc[key], new.loc[key]
            if before["value"] == after["value"]:
                continue
            if after["assigned_by"] == "manual" and (
                override_row(before) != override_row(after)
            ):
                cause = "override_applied"
            elif before["assigned_by"] == "manual" and after["assigned_by"] != "manual":
                cause = "override_expired"
            else:
                continue
            changes.add(
                (
                    *key,
                    before["value"],
                    after["value"],
                    dt.date.fromisoformat(current),
                    dt.date.fromisoformat(previous),
                    cause,
                )
            )
    return changes


def test_new_customers_and_overrides_are_causes_on_their_rows(
    dated_builds: DatedBuilds,
) -> None:
    """The customer added to the raw data after the first build has one added
    row per tag at DATES[1] (cause new_customer, old_value null) and nobody else
    has one; each override that became valid or expired between two builds is
    one row from what the CRM table showed at the build before to what it shows
    at the next (override_applied, override_expired)."""
    run = dated_builds.last
    added = run.query(
        "select customer_id, tag, old_value, new_value, changed_as_of,"
        " previous_as_of, change_type from marts.customer_tag_changes"
        " where cause = 'new_customer'"
    )
    first_values = dated_builds.marts[DATES[1]].xs(NEW_CUSTOMER, level="customer_id")
    assert set(added) == {
        (
            NEW_CUSTOMER,
            tag,
            None,
            row["value"],
            dt.date.fromisoformat(DATES[1]),
            dt.date.fromisoformat(DATES[0]),
            "added",
        )
        for tag, row in first_values.iterrows()
    }
    assert len(added) == len(TAGS)
    overridden = run.query(
        "select customer_id, tag, old_value, new_value, changed_as_of,"
        " previous_as_of, cause from marts.customer_tag_changes"
        " where cause like 'override%' and recorded_at is null"
    )
    expected = expected_override_changes(dated_builds)
    assert {row[-1] for row in expected} == OVERRIDE_CAUSES
    assert len(overridden) == len(set(overridden))
    assert set(overridden) == expected


def test_overrides_apply_only_while_valid(dated_builds: DatedBuilds) -> None:
    first, second, _, third = (row["customer_id"] for row in dated_builds.override_rows)
    active = {
        "2026-04-30": {(second, "lifecycle_stage"): "at_risk", (third, "r_score"): "5"},
        "2026-05-31": {
            (first, "customer_level"): "vip",
            (second, "lifecycle_stage"): "at_risk",
        },
        "2026-06-30": {
            (second, "lifecycle_stage"): "at_risk",
            (first, "product_preference"): "key_accounts",
        },
    }
    rows = {
        (first, "customer_level"): 1,
        (second, "lifecycle_stage"): 2,
        (first, "product_preference"): 3,
        (third, "r_score"): 4,
    }
    for as_of, manual in active.items():
        long = dated_builds.long[as_of]
        rules = dated_builds.marts[as_of]["value"]
        assert (long["rule_value"] == rules).all()
        is_manual = long["assigned_by"] == "manual"
        assert set(long.index[is_manual]) == set(manual), as_of
        for key, value in manual.items():
            row = long.loc[key]
            assert row["value"] == value
            assert row["override_row"] == rows[key]
            assert str(row["as_of_date"].date()) == as_of
        others = long[~is_manual]
        assert (others["value"] == rules[~is_manual]).all()
        assert (
            others["assigned_by"]
            == others.index.get_level_values("tag").map(
                lambda tag: TAGS[tag]["assigned_by"]
            )
        ).all()
        profile = dated_builds.profiles[as_of]
        for (customer, tag), value in manual.items():
            assert str(profile.loc[customer, tag]) == value
            assert tag in profile.loc[customer, "manual_tags"].split(", ")
        assert profile["manual_tags"].notna().sum() == len({c for c, _ in manual})
    assert dated_builds.profiles["2026-04-30"]["r_score"].dtype.kind == "i"


def test_expired_overrides_are_ignored_and_reported(dated_builds: DatedBuilds) -> None:
    run = dated_builds.last
    overrides = table(
        run,
        "select override_row, override_status"
        " from intermediate.int_tag_overrides_validated order by override_row",
    )
    assert list(overrides["override_status"]) == [
        "expired",
        "active",
        "active",
        "expired",
    ]
    first, third = (dated_builds.override_rows[i]["customer_id"] for i in (0, 3))
    assert (
        f"2 expired override(s) in {dated_builds.overrides} ignored at as_of_date"
        " 2026-06-30: "
        f"row 1 (customer_id={first}, tag=customer_level, value=vip)"
        " expired 2026-06-15;"
        f" row 4 (customer_id={third}, tag=r_score, value=5) expired 2026-04-30"
    ) in run.log
    results = json.loads((run.target_path / "run_results.json").read_text())
    warned = [
        (result["status"], result["failures"])
        for result in results["results"]
        if ".tag_overrides_expired_are_ignored." in result["unique_id"]
    ]
    assert warned == [("warn", 2)]
    # On 04-30 row 4 is valid (until is inclusive) and row 1 pending; on 05-31
    # only row 4 has expired.
    assert "expired override(s)" not in dated_builds.runs[DATES[0]].log
    assert (
        f"1 expired override(s) in {dated_builds.overrides} ignored at as_of_date"
        f" 2026-05-31: row 4 (customer_id={third}, tag=r_score, value=5)"
    ) in dated_builds.runs[DATES[1]].log


def test_invalid_overrides_stop_the_build_naming_the_rows(
    dated_builds: DatedBuilds,
) -> None:
    customer = dated_builds.override_rows[0]["customer_id"]
    review = {"reason": "review", "reviewer": "crm_ops", "valid_until": ""}
    bad = [
        {"customer_id": "C_NOBODY", "tag": "customer_level", "value": "vip"}
        | review
        | {"valid_from": "2026-06-01"},
        {"customer_id": customer, "tag": "shoe_size", "value": "42"}
        | review
        | {"valid_from": "2026-06-01"},
        {"customer_id": customer, "tag": "customer_level", "value": "gold"}
        | review
        | {"valid_from": "2026-06-01"},
        {"customer_id": customer, "tag": "ltv", "value": "high"}
        | review
        | {"valid_from": "June", "reason": ""},
    ]
    before = dated_builds.last.scalar(
        "select count(*) from marts.customer_tags where assigned_by = 'manual'"
    )
    write_overrides(dated_builds.overrides, bad)
    try:
        run = run_dbt(
            ["build", "--select", "int_tag_overrides_validated+"],
            dated_builds.workdir,
            dated_builds.raw_dir,
            DATES[-1],
            extra_vars=dated_builds.extra_vars(),
        )
    finally:
        write_overrides(dated_builds.overrides, dated_builds.override_rows)
    assert not run.success
    for line in [
        f"4 invalid manual tag override(s) in {dated_builds.overrides}",
        "row 1 (customer_id=C_NOBODY, tag=customer_level, value=vip): unknown customer",
        f"row 2 (customer_id={customer}, tag=shoe_size, value=42): unknown tag",
        f"row 3 (customer_id={customer}, tag=customer_level, value=gold): value not"
        " allowed by the registry (allowed: vip, important, ordinary, potential)",
        f"row 4 (customer_id={customer}, tag=ltv, value=high): reason is empty;"
        " valid_from is not a date: June",
    ]:
        assert line in run.log
    after = dated_builds.last.scalar(
        "select count(*) from marts.customer_tags where assigned_by = 'manual'"
    )
    assert after == before == 2  # nothing downstream was rebuilt


def test_migration_matrix_counts_customers_between_two_dates(
    dated_builds: DatedBuilds,
) -> None:
    run = run_dbt(
        ["compile", "--select", "tag_migration_matrix"],
        dated_builds.workdir,
        dated_builds.raw_dir,
        DATES[-1],
        extra_vars=dated_builds.extra_vars(),
    )
    assert run.success, run.log
    compiled = next(run.target_path.glob("compiled/**/tag_migration_matrix.sql"))
    matrix = table(run, compiled.read_text())
    assert set(matrix["from_date"].dt.date.astype(str)) == {DATES[1]}
    assert set(matrix["to_date"].dt.date.astype(str)) == {DATES[2]}
    old = dated_builds.marts[DATES[1]].xs("customer_level", level="tag")["value"]
    new = dated_builds.marts[DATES[2]].xs("customer_level", level="tag")["value"]
    expected = pd.crosstab(old, new).stack()
    expected = {pair: count for pair, count in expected.items() if count}
    actual = {
        (row.from_value, row.to_value): row.customers for row in matrix.itertuples()
    }
    assert actual == expected
    shares = matrix.groupby("from_value")["share_of_from_value"].sum()
    assert shares.to_numpy() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            None,
            "is not an existing file: give a CSV file with columns customer_id, tag,"
            " value, reason, reviewer, valid_from, valid_until",
        ),
        (
            "Customer_ID,tag,value\nc1,customer_level,vip\n",
            "is missing required column(s): reason, reviewer, valid_from,"
            " valid_until. Found: customer_id, tag, value.",
        ),
    ],
    ids=["missing_file", "missing_columns"],
)
def test_bad_tag_overrides_path_stops_before_any_sql(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    overrides = tmp_path / "overrides.csv"
    if content is not None:
        overrides.write_text(content, encoding="utf-8")
    run = run_dbt(
        ["build"],
        tmp_path / "work",
        FIXTURES / "raw_dirty",
        extra_vars={**SMALL_DATA_VARS, "tag_overrides_path": str(overrides)},
        stops_at_var_check=True,
    )
    assert not run.success
    assert f"tag_overrides_path '{overrides}' {problem}" in run.log, run.log
    assert "Invalid dbt vars" in run.log  # the up-front check, before any model
