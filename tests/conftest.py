"""Session fixtures: warehouses built once per test session on fixture and demo data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dbt_helpers import FIXTURES, SMALL_DATA_VARS, DbtRun, run_dbt
from published_reader import Rebuild, rebuild_while_reading

from tag_warehouse.generate import generate, write


@pytest.fixture(scope="session")
def dirty_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """The hand-planted dirty fixture (tests/fixtures/raw_dirty), built as of AS_OF."""
    run = run_dbt(
        ["build"],
        tmp_path_factory.mktemp("dirty"),
        FIXTURES / "raw_dirty",
        extra_vars=SMALL_DATA_VARS,
    )
    assert run.success, run.log
    return run


@pytest.fixture(scope="session")
def demo_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated dirty data set (Parquet) in the raw contract."""
    raw_dir = tmp_path_factory.mktemp("demo_raw")
    tables = generate(
        n_customers=2000, seed=7, as_of=dt.date(2026, 6, 30), dirty_rate=0.05
    )
    write(tables, raw_dir, "parquet")
    return raw_dir


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory, demo_raw_dir: Path) -> DbtRun:
    """The generated data set built end to end (models and every dbt test)."""
    run = run_dbt(["build"], tmp_path_factory.mktemp("demo"), demo_raw_dir)
    assert run.success, run.log
    return run


@pytest.fixture(scope="session")
def rebuild_under_readers(
    tmp_path_factory: pytest.TempPathFactory, demo_build: DbtRun, demo_raw_dir: Path
) -> Rebuild:
    """A copy of demo_build, published, then rebuilt a month later (models and
    snapshots: the tag history gets changes) and republished while a reader process
    queries the published marts (tests/published_reader.py)."""
    workdir = tmp_path_factory.mktemp("rebuild")
    outcome = rebuild_while_reading(
        demo_build.db_path, demo_raw_dir, workdir, as_of="2026-07-31"
    )
    assert outcome.success, outcome.log
    return outcome
