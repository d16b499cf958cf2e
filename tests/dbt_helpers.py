"""Run dbt in-process (dbtRunner) against a throw-away DuckDB file, and read it back."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner

from tag_warehouse.generate import Format, generate, write

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
AS_OF = "2026-06-30"
# The hand-planted fixtures hold a handful of customers: far too few to fit the
# CLV models, so their builds skip the LTV and MBG/NBD fits (ltv, churn_risk =
# unknown).
SMALL_DATA_VARS = {"ltv_enabled": False, "churn_risk_enabled": False}
# For builds whose tests only look at the outputs (the data and unit tests run in
# the session builds dirty_build and demo_build): seeds, models and snapshots.
MODELS_ONLY = ["--exclude", "resource_type:test", "resource_type:unit_test"]


@dataclass
class DbtRun:
    """Outcome of one dbt invocation: success, the log lines, the files it wrote."""

    success: bool
    messages: list[str] = field(default_factory=list)
    db_path: Path = Path()
    target_path: Path = Path()
    result: Any = None  # dbtRunnerResult.result (e.g. `dbt show`'s rows)

    @property
    def log(self) -> str:
        return "\n".join(self.messages)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]


def run_dbt(
    command: list[str],
    workdir: Path,
    raw_dir: Path,
    as_of: str = AS_OF,
    extra_vars: dict[str, Any] | None = None,
) -> DbtRun:
    """Run `dbt <command>` on the project, its DuckDB file and target in workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "warehouse.duckdb"
    target_path = workdir / "target"
    os.environ["WAREHOUSE_DB"] = str(db_path)
    os.environ["WAREHOUSE_TEMP_DIR"] = str(workdir / "tmp")
    variables = {
        "raw_data_path": str(raw_dir),
        "as_of_date": as_of,
        **(extra_vars or {}),
    }
    messages: list[str] = []
    runner = dbtRunner(
        callbacks=[
            lambda event: (
                event.info.level != "debug" and messages.append(event.info.msg)
            )
        ]
    )
    result = runner.invoke(
        [
            *command,
            "--project-dir",
            str(ROOT),
            "--profiles-dir",
            str(ROOT),
            "--target-path",
            str(target_path),
            "--log-path",
            str(workdir / "logs"),
            "--vars",
            str(variables),
            "--log-level",
            "warn",
        ]
    )
    release_duckdb()
    return DbtRun(bool(result.success), messages, db_path, target_path, result.result)


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process, so tests can
    open the file themselves (DuckDB refuses a second, differently configured one)."""
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def generated_raw(
    raw_dir: Path, customers: int, seed: int, dirty_rate: float, fmt: Format
) -> dict[str, Any]:
    """Generated raw files as of AS_OF in raw_dir (created); returns the tables."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    tables = generate(customers, seed, dt.date.fromisoformat(AS_OF), dirty_rate)
    write(tables, raw_dir, fmt)
    return tables
