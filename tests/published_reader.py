"""A BI reader of the published marts in its own process, and the scenario the
lock-free publishing must survive: a rebuild and republish while it reads (used by
tests/test_publish.py and tests/test_dashboard.py through conftest's
`rebuild_under_readers`). The reader's process imports no dbt."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from tag_warehouse.marts import TAG_MARTS
from tag_warehouse.publish import current_version_dir, publish

MART_TABLES = TAG_MARTS
# One query over several tables: a reader that mixed two builds would see a
# combination that matches neither build.
FINGERPRINT_SQL = """
select
    (select count(*) from customer_tags_value),
    (select cast(max(as_of_date) as varchar) from customer_tags_value),
    (select cast(min(as_of_date) as varchar) from customer_tags_lifecycle),
    (select cast(sum(window_amount) as varchar) from customer_tags_value),
    (select count(*) from customer_tags_lifecycle where lifecycle_stage = 'churned'),
    (select count(*) from customer_tags_basic)
"""


def fingerprint(con: duckdb.DuckDBPyConnection, schema: str = "") -> list[str]:
    sql = FINGERPRINT_SQL
    if schema:
        for table in MART_TABLES:
            sql = sql.replace(f"from {table}", f"from {schema}.{table}")
    return [str(value) for value in con.execute(sql).fetchone()]


def warehouse_fingerprint(db_path: Path) -> list[str]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return fingerprint(con, "marts")


def parquet_connection(version_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in MART_TABLES:
        path = version_dir / f"{table}.parquet"
        con.execute(f"create view {table} as select * from read_parquet('{path}')")
    return con


def reader_loop(
    out_dir: str, stop_file: str, ready_file: str, result_file: str, max_seconds: float
) -> None:
    """A BI reader in its own process: query the published marts in a loop, three
    ways (serving.duckdb, Parquet of the resolved version, pyarrow straight through
    the `current` symlink), count failures and record what each query saw."""
    out, seen, failures, queries = Path(out_dir), Counter(), [], 0
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline and not Path(stop_file).exists():
        queries += 1
        try:
            with duckdb.connect(str(out / "serving.duckdb"), read_only=True) as con:
                seen["serving|" + "|".join(fingerprint(con))] += 1
            with parquet_connection(current_version_dir(out)) as con:
                seen["parquet|" + "|".join(fingerprint(con))] += 1
            table = pq.read_table(out / "current" / "customer_tags_value.parquet")
            as_of = str(table.column("as_of_date")[0])
            seen[f"pyarrow|{table.num_rows}|{as_of}"] += 1
            Path(ready_file).touch()
        except Exception as error:  # every failure is counted, none stops the loop
            failures.append(repr(error))
        time.sleep(0.05)
    Path(result_file).write_text(
        json.dumps({"queries": queries, "failures": failures, "seen": seen})
    )


@dataclass
class Rebuild:
    """A warehouse rebuilt (every model) and republished under readers."""

    warehouse: Path
    out_dir: Path
    before: list[str]
    after: list[str]
    report: dict[str, Any]
    reader_exitcode: int | None
    log: str
    success: bool
    version_dir: Path = field(default_factory=Path)


def rebuild_while_reading(
    source_db: Path, raw_dir: Path, workdir: Path, as_of: str
) -> Rebuild:
    """Copy source_db, publish it, start a reader process, rebuild the copy for as_of
    (every model, so the tag history records the changes), publish again
    and stop the reader once it has had time to query the new version."""
    from dbt_helpers import run_dbt  # imports dbt: not in the reader's process

    warehouse = workdir / "warehouse.duckdb"
    shutil.copy(source_db, warehouse)
    out = workdir / "published"
    publish(warehouse, out)
    before = warehouse_fingerprint(warehouse)
    stop, ready, result = (workdir / name for name in ("stop", "ready", "result"))
    reader = multiprocessing.get_context("spawn").Process(
        target=reader_loop, args=(str(out), str(stop), str(ready), str(result), 180.0)
    )
    reader.start()
    try:
        waited = time.monotonic()
        while not ready.exists() and time.monotonic() - waited < 60:
            time.sleep(0.05)
        if not ready.exists():
            raise RuntimeError("the reader never completed a query")
        build = ["build", "--resource-type", "model"]
        rebuild = run_dbt(build, workdir, raw_dir, as_of=as_of)
        if rebuild.success:
            second = publish(warehouse, out)
            time.sleep(1.0)  # let the reader query the new version too
    finally:
        stop.touch()
        reader.join(timeout=60)
    report = json.loads(result.read_text()) if result.exists() else {}
    outcome = Rebuild(
        warehouse=warehouse,
        out_dir=out,
        before=before,
        after=warehouse_fingerprint(warehouse),
        report=report,
        reader_exitcode=reader.exitcode,
        log=rebuild.log,
        success=rebuild.success,
    )
    if rebuild.success:
        outcome.version_dir = second.path
    return outcome
