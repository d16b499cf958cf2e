"""A build on a warehouse another process holds (a second build, a BI tool, a notebook)
stops with one line naming the file and what to do, not a DuckDB traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbt_helpers import AS_OF, FIXTURES, ROOT, SMALL_DATA_VARS, run_dbt

from tag_warehouse.duckdb_plugin import (
    WarehouseInUseError,
    check_not_in_use,
    in_use_message,
)

DBT = Path(sys.executable).parent / "dbt"
HOLD = (
    "import duckdb, sys, time\n"
    "con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'read')\n"
    "print('holding', flush=True)\n"
    "time.sleep(600)\n"
)


def hold(path: Path, mode: str) -> subprocess.Popen[str]:
    """Another process with the DuckDB file open ('write' or 'read' only)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    return holder


@pytest.fixture(scope="module")
def held_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A work folder as run_dbt uses it, whose warehouse.duckdb another process
    holds open read-write. Shared, so the second dbt run parses partially."""
    workdir = tmp_path_factory.mktemp("held")
    db_path = workdir / "warehouse.duckdb"
    subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(db_path)!r})"],
        check=True,
    )
    holder = hold(db_path, "write")
    yield workdir, holder
    holder.kill()
    holder.wait()


def assert_one_line_in_use(output: str, db_path: Path, pid: int) -> None:
    assert f"{db_path} is in use by another process (PID {pid}" in output, output
    assert "published/serving.duckdb" in output
    assert "Traceback" not in output and "IOException" not in output, output
    assert len(output.strip().splitlines()) < 15, output


def test_dbt_build_on_a_held_warehouse_says_it_is_in_use(
    held_warehouse: tuple[Path, subprocess.Popen[str]],
) -> None:
    workdir, holder = held_warehouse
    variables = {"raw_data_path": str(FIXTURES / "raw_dirty"), "as_of_date": AS_OF}
    done = subprocess.run(
        [
            str(DBT),
            "build",
            "--select",
            "stg_crm__orders",
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
            "--vars",
            json.dumps({**variables, **SMALL_DATA_VARS}),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "WAREHOUSE_DB": str(workdir / "warehouse.duckdb"),
            "WAREHOUSE_TEMP_DIR": str(workdir / "tmp"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert_one_line_in_use(output, workdir / "warehouse.duckdb", holder.pid)


def test_dbt_runner_on_a_held_warehouse_says_it_is_in_use(
    held_warehouse: tuple[Path, subprocess.Popen[str]],
) -> None:
    workdir, holder = held_warehouse
    run = run_dbt(
        ["build", "--select", "stg_crm__orders"],
        workdir,
        FIXTURES / "raw_dirty",
        extra_vars=SMALL_DATA_VARS,
    )
    assert not run.success
    assert_one_line_in_use(run.log, run.db_path, holder.pid)


def test_a_read_only_reader_also_holds_the_warehouse(tmp_path: Path) -> None:
    db_path = tmp_path / "w.duckdb"
    subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(db_path)!r})"],
        check=True,
    )
    reader = hold(db_path, "read")
    try:
        with pytest.raises(WarehouseInUseError, match=f"PID {reader.pid}"):
            check_not_in_use(str(db_path), {})
    finally:
        reader.kill()
        reader.wait()
    check_not_in_use(str(db_path), {})  # free again: no error


def test_in_use_message_without_a_pid_still_names_the_file() -> None:
    message = in_use_message("w.duckdb", "IO Error: Could not set lock on file")
    assert message.startswith("w.duckdb is in use by another process (DuckDB does")
