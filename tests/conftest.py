"""Session fixtures: warehouses built once per test session on fixture and demo data.

The suite runs in parallel (pytest-xdist, one process per core, whole files per
process): `shared` makes the first process that needs a session build do it under
a file lock, and the others reuse it (they only read it)."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from dbt_helpers import (
    FIXTURES,
    PARSE_CACHE_ENV,
    SMALL_DATA_VARS,
    DbtRun,
    generated_raw,
    run_dbt,
)
from filelock import FileLock
from published_reader import Rebuild, rebuild_while_reading

T = TypeVar("T")

# The files that take longest, longest first: whole files go to one process each
# (--dist=loadfile --no-loadscope-reorder in scripts/dev.py), and a long file
# started last would keep one process busy while the others wait. The first
# process takes the cross-engine file and the third the audience and catalogue
# files, which need no session build, while the second makes the demo build (the
# orchestration tests need it first); the files reading it come after.
LONGEST_FILES = (
    "test_engines.py",
    "test_orchestration.py",
    "test_audience_builds.py",
    "test_catalogue.py",
    "test_incremental.py",
    "test_clv_fit_failures.py",
    "test_operations.py",
    "test_warehouse_in_use.py",
)


def pytest_configure(config: pytest.Config) -> None:
    """One parse cache for the session (tests/dbt_helpers.py cached_parse), made by
    the main process before the xdist workers start, so they share it."""
    # One dbt thread per build: the suite runs a build per core and more at once
    # (scripts/dev.py test_processes), so a second thread only adds switching,
    # about an eighth more CPU per build. WAREHOUSE_THREADS overrides it.
    os.environ.setdefault("WAREHOUSE_THREADS", "1")
    if PARSE_CACHE_ENV not in os.environ:
        cache = tempfile.mkdtemp(prefix="tag_warehouse_parses_")
        os.environ[PARSE_CACHE_ENV] = cache
        config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return (
            LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)
        )

    items.sort(key=rank)  # stable: the other files keep their order


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
    """The hand-planted dirty fixture (tests/fixtures/raw_dirty), built as of AS_OF,
    with every data test and the project's unit tests (the only build that runs
    them: they do not read the data)."""

    def make(workdir: Path) -> DbtRun:
        run = run_dbt(
            ["build"],
            workdir,
            FIXTURES / "raw_dirty",
            extra_vars=SMALL_DATA_VARS,
            unit_tests=True,
            artifacts=True,
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
        run = run_dbt(["build"], workdir, demo_raw_dir, artifacts=True)
        assert run.success, run.log
        return run

    return shared(tmp_path_factory, worker_id, "demo", make)


@pytest.fixture(scope="session")
def rebuild_under_readers(
    tmp_path_factory: pytest.TempPathFactory, demo_build: DbtRun, demo_raw_dir: Path
) -> Rebuild:
    """A copy of demo_build, published, then rebuilt a month later (every model:
    the tag history gets changes) and republished while a reader process
    queries the published marts (tests/published_reader.py)."""
    workdir = tmp_path_factory.mktemp("rebuild")
    outcome = rebuild_while_reading(
        demo_build.db_path, demo_raw_dir, workdir, as_of="2026-07-31"
    )
    assert outcome.success, outcome.log
    return outcome
