"""Audiences across builds (issue #17): one small generated data set (300
customers) built for three as_of dates in order (each writes its history slice),
with the CRM sync run between builds: a full load, an export left unacknowledged
across a rebuild (the crash), its re-export, then the next change-only export.

Membership, history, sizes and every export are compared with values computed
here from what each build's customer_profile and customer_tags held."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from dbt_helpers import ROOT, SMALL_DATA_VARS, DbtRun, generated_raw, run_dbt

from tag_warehouse.audience_preview import PreviewError, preview
from tag_warehouse.catalogue.audiences import (
    condition_problems,
    evaluate,
    is_holdout,
    parse,
)
from tag_warehouse.catalogue.load import load
from tag_warehouse.publish import current_version_dir, publish
from tag_warehouse.report import build_dashboard, render_html
from tag_warehouse.sync import SyncError, ack, export

DATES = ["2026-04-30", "2026-05-31", "2026-06-30"]
CATALOGUE = load(ROOT)
ACTIVE = CATALOGUE.audiences_with("active")
BUILD = [
    "build",
    "--select",
    "+tag:audiences",
    "resource_type:test,path:models/marts/audiences",
    "resource_type:test,path:models/history/_history_audiences__models.yml",
    "--indirect-selection",
    "empty",
    "--exclude-resource-type",
    "unit_test",
]
Key = tuple[str, str, str]  # customer_id, kind, name


@dataclass
class Builds:
    raw_dir: Path
    workdir: Path
    out: Path
    runs: dict[str, DbtRun] = field(default_factory=dict)
    profiles: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    members: dict[str, pd.DataFrame] = field(default_factory=dict)
    images: dict[str, dict[Key, str]] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.workdir / "published"


def capture(builds: Builds, as_of: str) -> None:
    with duckdb.connect(str(builds.db), read_only=True) as con:
        builds.profiles[as_of] = (
            con.sql("select * from marts.customer_profile").df().to_dict("records")
        )
        builds.members[as_of] = con.sql("select * from marts.audience_members").df()
        tags = con.execute(
            "select customer_id, tag, value from marts.customer_tags"
        ).fetchall()
    image = {(customer, "tag", tag): value for customer, tag, value in tags}
    for row in builds.members[as_of].itertuples():
        value = "holdout" if row.is_holdout else "member"
        image[(row.customer_id, "audience", row.audience)] = value
    builds.images[as_of] = image


def build(builds: Builds, as_of: str) -> None:
    run = run_dbt(BUILD, builds.workdir, builds.raw_dir, as_of, SMALL_DATA_VARS)
    assert run.success, run.log
    builds.runs[as_of] = run
    capture(builds, as_of)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    raw_dir = tmp_path_factory.mktemp("audience_raw")
    generated_raw(raw_dir, customers=300, seed=17, dirty_rate=0.0, fmt="parquet")
    workdir = tmp_path_factory.mktemp("audience_builds")
    result = Builds(raw_dir, workdir, workdir / "exports")
    first, second, third = DATES
    build(result, first)
    full = export(result.db, result.out, "csv")
    result.exports["full"] = (full, read_export(full.path))
    assert ack(result.db, full.export_id)
    build(result, second)
    pending = export(result.db, result.out, "parquet")
    result.exports["pending"] = (pending, pending.path.read_bytes())
    again = export(result.db, result.out, "parquet")
    result.exports["again"] = (again, again.path.read_bytes())
    # the crash: no ack; the warehouse is rebuilt for the next date meanwhile
    build(result, third)
    resent = export(result.db, result.out, "parquet")
    result.exports["resent"] = (resent, resent.path.read_bytes())
    result.exports["second"] = read_export(resent.path)
    assert ack(result.db, resent.export_id)
    result.exports["ack_again"] = ack(result.db, resent.export_id)
    latest = export(result.db, result.out, "jsonl")
    result.exports["third"] = (latest, read_export(latest.path))
    ack(result.db, latest.export_id)
    # a rebuild of the last date replaces that date's sizes, never adds rows
    rerun = run_dbt(
        ["run", "--select", "audience_sizes"],
        workdir,
        raw_dir,
        third,
        SMALL_DATA_VARS,
    )
    assert rerun.success, rerun.log
    publish(result.db, result.published)
    return result


def read_export(path: Path) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.sql(f"select * from '{path}'").df()


def expected_members(profile: list[dict[str, Any]]) -> set[tuple[str, str, bool]]:
    """Spec section 6 in Python: conditions, priority lists, the md5 holdout."""
    matched: dict[str, list[Any]] = {}
    for row in profile:
        values = {key: value for key, value in row.items() if not pd.isna(value)}
        for audience in ACTIVE:
            if evaluate(parse(audience.condition), values):
                matched.setdefault(row["customer_id"], []).append(audience)
    expected = set()
    for customer, audiences in matched.items():
        best: dict[str, Any] = {}
        for audience in audiences:
            group = audience.exclusive_group or audience.name
            if group not in best or audience.priority < best[group].priority:
                best[group] = audience
        for audience in best.values():
            held = is_holdout(audience.name, customer, audience.holdout)
            expected.add((audience.name, customer, held))
    return expected


def test_members_follow_conditions_groups_and_the_md5_holdout(builds: Builds) -> None:
    for as_of in DATES:
        frame = builds.members[as_of]
        actual = {
            (row.audience, row.customer_id, bool(row.is_holdout))
            for row in frame.itertuples()
        }
        assert actual == expected_members(builds.profiles[as_of]), as_of
        assert set(frame["as_of_date"].astype(str)) <= {as_of}


def test_holdout_macro_equals_hashlib_for_every_customer(builds: Builds) -> None:
    """The portable SQL holdout (macro audience_holdout) on every customer and a
    wide share, so both outcomes occur: identical to Python's hashlib rule."""
    sql = (
        "select customer_id, {{ audience_holdout(dbt.hash(dbt.concat([\"'x_1'\","
        " \"':'\", 'customer_id'])), '0.37') }} as held from marts.customer_profile"
    )
    run = run_dbt(
        ["show", "--inline", sql, "--limit", "-1", "--output", "json"],
        builds.workdir,
        builds.raw_dir,
        DATES[-1],
        SMALL_DATA_VARS,
    )
    assert run.success, run.log
    rows = run.result.results[0].agate_table.rows
    assert len(rows) == len(builds.profiles[DATES[-1]])
    held = {row["customer_id"]: bool(row["held"]) for row in rows}
    assert held == {customer: is_holdout("x_1", customer, "0.37") for customer in held}
    assert 0 < sum(held.values()) < len(held)


def expected_spells(builds: Builds) -> set[tuple[str, str, int, str, str | None]]:
    spells: set[tuple[str, str, int, str, str | None]] = set()
    inside: dict[tuple[str, str], tuple[int, str]] = {}
    counts: dict[tuple[str, str], int] = {}
    for as_of in DATES:
        now = {
            (row.audience, row.customer_id)
            for row in builds.members[as_of].itertuples()
        }
        for key in now - set(inside):
            counts[key] = counts.get(key, 0) + 1
            inside[key] = (counts[key], as_of)
        for key in set(inside) - now:
            number, entered = inside.pop(key)
            spells.add((*key, number, entered, as_of))
    for key, (number, entered) in inside.items():
        spells.add((*key, number, entered, None))
    return spells


def test_history_records_entering_and_leaving(builds: Builds) -> None:
    rows = builds.runs[DATES[-1]].query(
        "select audience, customer_id, spell_number, cast(entered_as_of as varchar),"
        " cast(left_as_of as varchar) from marts.audience_membership_history"
    )
    expected = expected_spells(builds)
    assert set(rows) == expected
    assert any(spell[4] is not None for spell in expected), "nobody left"


def test_sizes_keep_one_row_per_build_and_audience(builds: Builds) -> None:
    rows = builds.runs[DATES[-1]].query(
        "select cast(as_of_date as varchar), audience, member_count, holdout_count,"
        " customer_count, member_share from marts.audience_sizes"
    )
    assert len(rows) == len(DATES) * len(ACTIVE)
    for as_of, audience, members, holdout, customers, share in rows:
        frame = builds.members[as_of]
        mine = frame[frame["audience"] == audience]
        assert members == len(mine)
        assert holdout == int(mine["is_holdout"].sum())
        assert customers == len(builds.profiles[as_of])
        assert float(share) == pytest.approx(members / customers, abs=1e-6)


def changes(old: dict[Key, str], new: dict[Key, str]) -> set[tuple[Any, ...]]:
    rows = set()
    for key in old.keys() | new.keys():
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        kind = "added" if key not in old else "removed" if key not in new else "changed"
        rows.add((*key, kind, before, after))
    return rows


def export_rows(frame: pd.DataFrame) -> set[tuple[Any, ...]]:
    frame = frame.astype(object).where(frame.notna(), None)
    columns = ["customer_id", "kind", "name", "change_type", "old_value", "new_value"]
    return {tuple(row) for row in frame[columns].itertuples(index=False)}


def test_first_sync_is_a_full_load(builds: Builds) -> None:
    full, frame = builds.exports["full"]
    assert export_rows(frame) == changes({}, builds.images[DATES[0]])
    assert set(frame["export_id"]) == {full.export_id}
    assert frame["label_en"].notna().all() and frame["reason_en"].notna().all()


def test_export_twice_without_ack_is_the_same_file(builds: Builds) -> None:
    pending, first = builds.exports["pending"]
    again, second = builds.exports["again"]
    resent, third = builds.exports["resent"]
    assert pending.export_id == again.export_id == resent.export_id
    assert first == second == third
    assert (again.resent, resent.resent) == (True, True)
    assert builds.exports["ack_again"] is False


def test_a_crash_between_export_and_ack_loses_and_duplicates_nothing(
    builds: Builds,
) -> None:
    """The pending export is re-sent unchanged after the rebuild; once acked,
    the next export holds exactly the changes of the rebuild."""
    first, second, third = (builds.images[as_of] for as_of in DATES)
    assert export_rows(builds.exports["second"]) == changes(first, second)
    latest, frame = builds.exports["third"]
    assert export_rows(frame) == changes(second, third)
    kinds = {(row[1], row[3]) for row in export_rows(frame)}
    assert {("audience", "added"), ("audience", "removed")} <= kinds | {
        (row[1], row[3]) for row in export_rows(builds.exports["second"])
    }


def test_ack_of_an_unknown_export_names_the_pending_one(builds: Builds) -> None:
    with pytest.raises(SyncError, match="no such export .none is pending"):
        ack(builds.db, "000099_20260630")
    with duckdb.connect(str(builds.db), read_only=True) as con:
        acked = con.execute("select count(*) from sync.exports where acked_at is null")
        assert acked.fetchone()[0] == 0


AUDIENCE_TABLES = [
    "audience_members",
    "audience_sizes",
    "audience_membership_history",
    "customer_audiences",
    "audience_registry",
]


def test_audiences_are_published_and_on_the_dashboard(builds: Builds) -> None:
    version = current_version_dir(builds.published)
    for name in AUDIENCE_TABLES:
        assert (version / f"{name}.parquet").exists(), name
    board = build_dashboard(version, "en")
    data = board.audiences
    assert data is not None
    assert data.names == sorted(audience.name for audience in ACTIVE)
    assert data.dates == DATES
    last = builds.members[DATES[-1]]
    for as_of in DATES:
        frame = builds.members[as_of]
        for name in data.names:
            assert data.sizes[(name, as_of)] == int((frame["audience"] == name).sum())
    for name in data.names:
        members = int((last["audience"] == name).sum())
        assert data.overlap.get((name, name), 0) == members
    page = render_html(board)
    assert 'data-chart="audience-sizes"' in page
    assert 'data-chart="audience-overlap"' in page


def test_preview_sizes_a_condition_from_the_serving_database(builds: Builds) -> None:
    condition = "customer_level in ('vip', 'important') or complaints != 'none'"
    result = preview(CATALOGUE, condition, published=builds.published)
    profile = builds.profiles[DATES[-1]]
    node = parse(condition)
    matched = [row for row in profile if evaluate(node, row)]
    assert result.size == len(matched) > 0
    assert result.customers == len(profile)
    assert sum(row[-1] for row in result.breakdown) == result.size
    bad = "customer_level < 'vip' and lifecycle_stage = 'asleep'"
    with pytest.raises(PreviewError) as raised:
        preview(CATALOGUE, bad, published=builds.published)
    build_problems = condition_problems(bad, CATALOGUE.fields)
    assert str(raised.value).splitlines() == [
        f"condition: {problem}" for problem in build_problems
    ]
