"""dbt docs for BI users: `dbt docs generate` works on a built warehouse, every model,
seed and column is described, and the exposures, semantic models and metrics parse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from dbt_helpers import DbtRun, run_dbt

METRICS = {"customer_count", "revenue", "promo_share", "tagged_customers"}
SEMANTIC_MODELS = {"customer_value", "customer_preference", "customer_tag_values"}
EXPOSURES = {"tag_dashboard", "crm_tag_sync"}


@pytest.fixture(scope="module")
def docs(
    demo_build: DbtRun, demo_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """`dbt docs generate` the way CI runs it after a build: against a copy of the
    demo warehouse and of its target folder (the build's manifest, compiled code
    included), with --no-compile since the build already compiled every node."""
    workdir = tmp_path_factory.mktemp("docs")
    shutil.copy(demo_build.db_path, workdir / "warehouse.duckdb")
    shutil.copytree(demo_build.target_path, workdir / "target")
    run = run_dbt(
        ["docs", "generate", "--no-compile"], workdir, demo_raw_dir, artifacts=True
    )
    assert run.success, run.log
    target = run.target_path
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    return manifest, catalog, target


def test_docs_generate_writes_the_site(docs: tuple[dict, dict, Path]) -> None:
    manifest, catalog, target = docs
    assert (target / "index.html").stat().st_size > 0
    models = [
        node for node in manifest["nodes"].values() if node["resource_type"] == "model"
    ]
    assert models and all(node["unique_id"] in catalog["nodes"] for node in models)


def test_every_model_seed_and_column_is_described(
    docs: tuple[dict, dict, Path],
) -> None:
    manifest, catalog, _ = docs
    missing = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed"):
            continue
        if not node["description"].strip():
            missing.append(unique_id)
        documented = {
            name.lower(): column["description"].strip()
            for name, column in node["columns"].items()
        }
        for column in catalog["nodes"].get(unique_id, {}).get("columns", {}):
            if not documented.get(column.lower()):
                missing.append(f"{unique_id}.{column}")
    assert missing == []


def test_exposures_semantic_models_and_metrics(docs: tuple[dict, dict, Path]) -> None:
    manifest, _, _ = docs
    exposures = {node["name"]: node for node in manifest["exposures"].values()}
    assert set(exposures) == EXPOSURES
    for exposure in exposures.values():
        assert exposure["description"].strip()
        assert exposure["depends_on"]["nodes"]
        assert all(
            node in manifest["nodes"] for node in exposure["depends_on"]["nodes"]
        )
    assert (
        "model.customer_tags.customer_tags"
        in (exposures["crm_tag_sync"]["depends_on"]["nodes"])
    )
    semantic = {node["name"] for node in manifest["semantic_models"].values()}
    assert semantic == SEMANTIC_MODELS
    metrics = {node["name"]: node for node in manifest["metrics"].values()}
    assert set(metrics) == METRICS
    assert all(metric["description"].strip() for metric in metrics.values())
