"""The tag marts on generated dirty data: every tag equals an independent
implementation of the spec, the registry binds the marts, and the lineage check
catches a mart reading a source it must not."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from dbt.cli.main import dbtRunner
from dbt_helpers import AS_OF, ROOT, DbtRun
from tag_oracle import SPEC_TAGS, oracle_tags

from tag_warehouse.lineage import lineage_violations, read_registry

REGISTRY = read_registry(ROOT / "seeds" / "tag_registry.csv")
MARTS = sorted({row["mart"] for row in REGISTRY})


def manifest_of(run: DbtRun) -> dict[str, Any]:
    return json.loads((run.target_path / "manifest.json").read_text())


def mart_frame(run: DbtRun, mart: str) -> pd.DataFrame:
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        frame = con.sql(f"select * from marts.{mart}").df()
    return frame.set_index("customer_id").sort_index()


@pytest.fixture(scope="module")
def oracle(demo_build: DbtRun) -> pd.DataFrame:
    """The oracle's tags of the demo build (computed once: about 15 s)."""
    with duckdb.connect(str(demo_build.db_path), read_only=True) as con:
        return oracle_tags(con, dt.date.fromisoformat(AS_OF))


def test_every_tag_matches_the_spec_for_every_customer(
    demo_build: DbtRun, oracle: pd.DataFrame
) -> None:
    expected = oracle
    assert len(expected) > 1000
    for mart in MARTS:
        actual = mart_frame(demo_build, mart)
        tags = [row["tag"] for row in REGISTRY if row["mart"] == mart]
        # every shipped spec tag needs its own oracle rule: none is skipped silently
        missing = [t for t in tags if t in SPEC_TAGS and t not in expected.columns]
        assert not missing, f"no oracle rule in tests/tag_oracle.py for {missing}"
        assert list(actual.index) == list(expected.index), mart
        for tag in [t for t in tags if t in expected.columns]:
            mismatched = actual[tag].astype(str) != expected[tag].astype(str)
            assert not mismatched.any(), (
                f"{mart}.{tag} differs for {mismatched.sum()} customers, e.g.\n"
                + pd.concat(
                    [actual.loc[mismatched, tag], expected.loc[mismatched, tag]],
                    axis=1,
                    keys=["mart", "spec"],
                )
                .head()
                .to_string()
            )


def test_p_alive_is_the_closed_form_of_the_fitted_mbgnbd(
    demo_build: DbtRun, oracle: pd.DataFrame
) -> None:
    """p_alive of the value mart equals spec 3.2's closed form evaluated on the
    parameters in the fit table (tests/tag_oracle.py), null without a valid
    order."""
    expected = oracle.attrs["p_alive"]
    actual = mart_frame(demo_build, "customer_tags_value")["p_alive"]
    assert list(actual.isna()) == list(expected.isna())
    assert expected.notna().sum() > 1000
    present = expected.notna()
    assert actual[present].astype(float).to_numpy() == pytest.approx(
        expected[present].astype(float).to_numpy(), rel=1e-9, abs=1e-12
    )


def test_tags_beyond_the_spec_have_generated_boundary_tests(demo_build: DbtRun) -> None:
    """A tag an analyst adds (not in the spec, so not in the oracle) is covered by
    the unit test the catalogue generates from its bands, or is categorical."""
    unit_tests = {
        node["name"] for node in manifest_of(demo_build).get("unit_tests", {}).values()
    }
    registry_all = read_registry(ROOT / "seeds" / "tag_registry.csv")
    for row in registry_all:
        if row["tag"] not in SPEC_TAGS:
            assert f"{row['tag']}_band_boundaries" in unit_tests, row["tag"]
    assert "consultation_frequency_band_boundaries" in unit_tests


def test_demo_tags_are_spread_over_their_values(demo_build: DbtRun) -> None:
    """The generated data exercises every band of the main tags (no dead rule)."""
    for mart, tag in [
        ("customer_tags_behavior", "recency"),
        ("customer_tags_behavior", "purchase_frequency"),
        ("customer_tags_value", "customer_level"),
        ("customer_tags_value", "ltv"),
        ("customer_tags_lifecycle", "lifecycle_stage"),
        ("customer_tags_preference", "price_sensitivity"),
    ]:
        values = set(mart_frame(demo_build, mart)[tag])
        allowed = next(r for r in REGISTRY if r["tag"] == tag)["allowed_values"]
        assert values >= set(allowed.split("|")) - {"unknown"}, (tag, values)


def test_ltv_fit_converged_and_fills_every_customer(demo_build: DbtRun) -> None:
    fits = demo_build.query(
        "select model, bool_and(converged), count(*), min(value)"
        " from intermediate.int_clv_models_fitted group by model order by model"
    )
    assert [(m, ok, n) for m, ok, n, _ in fits] == [
        ("bgnbd", True, 4),
        ("gamma_gamma", True, 3),
        ("mbgnbd", True, 4),
    ]
    assert all(low > 0 for *_, low in fits)
    assert (
        demo_build.scalar(
            "select count(*) from marts.customer_tags_value where predicted_ltv is null"
        )
        == 0
    )
    never = demo_build.scalar(
        "select count(*) from marts.customer_tags_value"
        " where r_score = 0 and (predicted_ltv != 0 or ltv != 'low')"
    )
    assert never == 0


def test_registry_and_mart_tag_columns_agree(demo_build: DbtRun) -> None:
    nodes = manifest_of(demo_build)["nodes"].values()
    declared = {
        (node["name"], name)
        for node in nodes
        if node["resource_type"] == "model" and node["name"] in MARTS
        for name, column in node["columns"].items()
        if column.get("meta", {}).get("is_tag")
    }
    assert declared == {(row["mart"], row["tag"]) for row in REGISTRY}
    actual = set(
        demo_build.query(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = 'marts'"
        )
    )
    assert declared <= actual
    documented = {
        (node["name"], name)
        for node in nodes
        if node["resource_type"] == "model" and node["name"] in MARTS
        for name in node["columns"]
    }
    assert {pair for pair in actual if pair[0] in MARTS} == documented


def test_every_tag_column_is_tested_against_the_registry(demo_build: DbtRun) -> None:
    tested = {
        (node["attached_node"].split(".")[-1], node["column_name"])
        for node in manifest_of(demo_build)["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("test_metadata", {}).get("name") == "allowed_by_registry"
    }
    assert tested == {(row["mart"], row["tag"]) for row in REGISTRY}


def test_cadence_tags_follow_the_registry(demo_build: DbtRun) -> None:
    nodes = {node["name"]: node for node in manifest_of(demo_build)["nodes"].values()}
    for row in REGISTRY:
        assert row["cadence"] in nodes[row["mart"]]["config"]["tags"], row["tag"]


def test_lineage_agrees_with_the_registry(demo_build: DbtRun) -> None:
    assert lineage_violations(manifest_of(demo_build), REGISTRY) == []


def test_lineage_check_catches_a_planted_violation(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "target", "logs", "data", "*.duckdb*", ".*cache*"
        ),
    )
    mart = project / "models/marts/customer_tags/customer_tags_value.sql"
    mart.write_text(
        mart.read_text().replace(
            "ltv_predicted as (",
            "leak as (select * from {{ ref('stg_crm__service_interactions') }}),\n\n"
            "ltv_predicted as (",
        )
    )
    result = dbtRunner().invoke(
        ["parse", "--project-dir", str(project), "--profiles-dir", str(project)]
    )
    assert result.success
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    problems = lineage_violations(manifest, REGISTRY)
    assert len(problems) == 1
    assert problems[0].startswith(
        "customer_tags_value reads source(s) service_interactions"
    )


@pytest.mark.parametrize("mart", MARTS)
def test_one_row_per_clean_customer(demo_build: DbtRun, mart: str) -> None:
    customers = demo_build.scalar("select count(*) from staging.stg_crm__customers")
    rows, distinct = demo_build.query(
        f"select count(*), count(distinct customer_id) from marts.{mart}"
    )[0]
    assert rows == distinct == customers
