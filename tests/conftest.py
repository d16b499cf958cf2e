"""Session fixtures: warehouses built once per test session on fixture and demo data.

The suite runs in parallel (pytest-xdist, one process per core, whole files per
process): `shared` makes the first process that needs a session build do it under
a file lock, and the others reuse it (they only read it)."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from dbt_helpers import FIXTURES, SMALL_DATA_VARS, DbtRun, generated_raw, run_dbt
from filelock import FileLock
from published_reader import Rebuild, rebuild_while_reading

T = TypeVar("T")


def shared(
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
    name: str,
    make: Callable[[Path], T],
) -> T:
    """make(directory) once per session, whichever xdist worker asks first."""
    if worker_id == "master":  # not distributed
        return make(tmp_path_factory.mktemp(name))
    root = tmp_path_factory.getbasetemp().parent  # common to all workers
    made = root / f"{name}.pickle"
    with FileLock(str(root / f"{name}.lock")):
        if made.exists():
            return pickle.loads(made.read_bytes())
        value = make(root / name)
        made.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def dirty_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> DbtRun:
    """The hand-planted dirty fixture (tests/fixtures/raw_dirty), built as of AS_OF."""

    def make(workdir: Path) -> DbtRun:
        run = run_dbt(
            ["build"], workdir, FIXTURES / "raw_dirty", extra_vars=SMALL_DATA_VARS
        )
        assert run.success, run.log
        return run

    return shared(tmp_path_factory, worker_id, "dirty", make)


@pytest.fixture(scope="session")
def demo_raw_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A generated dirty data set (Parquet) in the raw contract."""

    def make(raw_dir: Path) -> Path:
        generated_raw(raw_dir, customers=2000, seed=7, dirty_rate=0.05, fmt="parquet")
        return raw_dir

    return shared(tmp_path_factory, worker_id, "demo_raw", make)


@pytest.fixture(scope="session")
def demo_build(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, demo_raw_dir: Path
) -> DbtRun:
    """The generated data set built end to end (models and every dbt test)."""

    def make(workdir: Path) -> DbtRun:
        run = run_dbt(["build"], workdir, demo_raw_dir)
        assert run.success, run.log
        return run

    return shared(tmp_path_factory, worker_id, "demo", make)


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
