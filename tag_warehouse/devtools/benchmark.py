"""Benchmark of the warehouse against what a user would otherwise run, on one data
set and one machine in one run (scripts/benchmark.py is the command line).

For each scale (and raw format: text or typed Parquet) it generates the raw data
(scripts/generate_data.py), then
times as separate processes, sampling the resident memory of each process tree:

* ``dbt parse``, the full ``dbt build`` of the models (seeds and models)
  and the full ``dbt build`` with every data and unit test;
* the plain pandas version of the tags (tag_warehouse.devtools.pandas_tags) and
  the Polars one (tag_warehouse.devtools.polars_tags, lazy and streaming);
* the floor: one hand-written DuckDB query from the raw files
  (tag_warehouse/devtools/floor_tags.sql);
* an incremental daily run: one day of new orders (and updated and late orders)
  appended to the orders file, ``dbt run`` as of the next day, against a
  ``dbt run --full-refresh`` of the same data; both must give identical marts.

pandas, Polars, floor and dbt tags (ltv aside) must be identical, checked in the
run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tag_warehouse.devtools.generate import (
    ORDERS_PER_CUSTOMER,
    TYPED_COLUMNS,
    Format,
    typed_table,
    write_parquet,
)
from tag_warehouse.devtools.pandas_tags import TAG_COLUMNS, pandas_tags
from tag_warehouse.devtools.polars_tags import polars_tags
from tag_warehouse.marts import TAG_MARTS

ROOT = Path(__file__).resolve().parents[2]
FLOOR_SQL = Path(__file__).resolve().parent / "floor_tags.sql"
# The typed-native floor's reads: CTEs replacing those of FLOOR_SQL (floor_sql).
FLOOR_TYPED_READS_SQL = Path(__file__).resolve().parent / "floor_typed_reads.sql"
# A top-level CTE of the floor files: `name as (` to the `)` that closes it, both
# at the start of a line.
_CTE = re.compile(r"^(\w+) as \(\n.*?^\)", re.MULTILINE | re.DOTALL)
SEEDS_DIR = ROOT / "seeds"
SCALES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}
# Scales run only when named (--scales 100m): 100 million orders take tens of
# minutes for the tag marts alone (--only-tag-marts, run_tag_marts_scale) and hours
# for the whole run; the generator writes them chunk by chunk (docs/performance.md).
OPT_IN_SCALES = ("100m",)
# Customers of a scale that departs from the generator's ORDERS_PER_CUSTOMER (over
# GENERATOR_YEARS of history): 100m as issue #22 measured it, 10 million customers
# with a shorter history (generate_data.py --years) so they place 100 million
# orders.
SCALE_CUSTOMERS = {"100m": 10_000_000}
GENERATOR_YEARS = 3.0
# DuckDB's memory limit of the dbt builds and the floor when WAREHOUSE_MEMORY_LIMIT
# is not set (profiles.yml); pandas and Polars have none.
DEFAULT_MEMORY_LIMIT = "4GB"
_MEMORY_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
# dbt selection of the six tag marts and everything upstream (what the floor and
# pandas compute, plus ltv); the project's other models (tag operations, semantic
# layer, history models) come on top in the full build.
# Neither competitor fits a model: the LTV and the MBG/NBD (churn_risk) are off.
LTV_OFF = {"ltv_enabled": False, "churn_risk_enabled": False}
TAG_MARTS_SELECTION = [f"+{mart}" for mart in TAG_MARTS]
# Model metrics that are floats fitted by an optimiser: compared with a tolerance.
FITTED_COLUMNS = ("predicted_ltv", "p_alive")


@dataclasses.dataclass
class Measured:
    """One timed process: wall seconds, CPU seconds (user + system, all threads and
    children), peak resident memory of its process tree. CPU seconds hardly change
    when other work shares the machine; wall seconds do."""

    name: str
    seconds: float
    peak_rss_bytes: int
    returncode: int
    output: str = ""
    cpu_seconds: float = 0.0
    peak_watched_bytes: int = 0


# ---------------------------------------------------------------- measuring


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        pending.extend(int(child) for child in children.split())
    return total


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def measure(
    name: str,
    command: Sequence[str | Path],
    env: dict[str, str] | None = None,
    interval: float = 0.05,
    watch: Path | None = None,
    capture: bool = True,
) -> Measured:
    """Run a command from the project root; wall and CPU time, peak tree RSS, and
    the peak size of the directory `watch` (e.g. DuckDB's spill directory).
    capture=False lets the command print to the terminal as it runs. Pending
    file writes (data written or copied just before) are flushed first, so the
    step does not pay for the previous one's disk writes."""
    if hasattr(os, "sync"):
        os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(part) for part in command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        text=True,
    )
    peak, peak_watched = 0, 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_watched
        while not done.is_set():
            peak = max(peak, tree_rss_bytes(process.pid))
            if watch is not None:
                peak_watched = max(peak_watched, directory_bytes(watch))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(
        name, seconds, peak, process.returncode, output or "", cpu, peak_watched
    )


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = int(meminfo.read_text().split()[1]) * 1024
    import dbt.version

    return {
        "nproc": os.cpu_count(),
        "memory_bytes": memory,
        "cpu_model": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt.version.__version__,
        "pandas": pd.__version__,
        "load_average": list(os.getloadavg()),
        "warehouse_memory_limit": memory_limit(),
    }


# ---------------------------------------------------------------- data


def customers_for(orders: int, label: str = "") -> int:
    if label in SCALE_CUSTOMERS:
        return SCALE_CUSTOMERS[label]
    return math.ceil(orders / ORDERS_PER_CUSTOMER)


def generator_years(orders: int, label: str = "") -> float:
    """The history length (generate_data.py --years) at which customers_for(orders,
    label) customers place about `orders` orders."""
    per_customer = orders / customers_for(orders, label)
    return round(GENERATOR_YEARS * per_customer / ORDERS_PER_CUSTOMER, 4)


def memory_limit() -> str:
    """DuckDB's memory limit of the dbt builds and the floor, as configured."""
    return os.environ.get("WAREHOUSE_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT


def memory_limit_bytes(limit: str) -> int | None:
    """A DuckDB memory limit ('4GB' = 4e9 bytes, '4GiB' = 4 * 2**30) in bytes; None
    for a share of the machine ('80%') or text DuckDB would not read."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", limit)
    if not match:
        return None
    unit = _MEMORY_UNITS.get((match.group(2) or "b").lower())
    return int(float(match.group(1)) * unit) if unit else None


def append_day(
    raw_dir: Path,
    out_dir: Path,
    day: dt.date,
    new_orders: int,
    updates: int = 3,
) -> dict[str, Any]:
    """Copy a raw data set and append one day of orders and customers.

    Appended to the orders, as a CRM export would: `new_orders` new orders dated
    `day` (copies of existing rows with new ids), `updates` new versions of
    existing completed orders (refunded; an amount and cost change; moved to the
    day before in another category; ...), a late-arriving order dated two months
    earlier and an order dated in the future. Appended to the customers: one new
    customer per ORDERS_PER_CUSTOMER new orders and `updates` new versions of
    existing customers (append_customers). Returns what was added.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("promotions", "service_interactions"):
        shutil.copyfile(raw_dir / f"{name}.parquet", out_dir / f"{name}.parquet")
    customers = append_customers(
        raw_dir, out_dir, day, max(1, int(new_orders // ORDERS_PER_CUSTOMER)), updates
    )
    orders, sample = _raw_rows(raw_dir / "orders.parquet", max(new_orders, 50) * 4)
    stamp = day.isoformat()
    tag = day.strftime("%Y%m%d")
    rows = [row for row in sample.to_pylist() if _is_plain_completed(row)]
    if len(rows) < updates + 2:
        raise ValueError("too few plain completed orders to copy")
    added = [
        dict(row, order_id=f"N{tag}{i:07d}", order_date=stamp,
             updated_at=f"{stamp} 09:{i % 60:02d}:00")
        for i, row in enumerate(rows[i % len(rows)] for i in range(new_orders))
    ]  # fmt: skip
    changes = []
    for i, row in enumerate(rows[:updates]):
        change = {"updated_at": f"{stamp} 18:{i:02d}:00"}
        if i % 3 == 0:
            change["status"] = "refunded"
        elif i % 3 == 1:
            change["amount"] = f"{float(row['amount']) * 3:.2f}"
            change["cost"] = f"{float(row['cost']) * 2:.2f}"
        else:  # re-booked: another day and category (moves to another order day)
            booked = dt.date.fromisoformat(row["order_date"])
            change["order_date"] = (booked - dt.timedelta(days=1)).isoformat()
            change["product_category"] = "rebooked"
        changes.append(dict(row, **change))
    late_day = (day - dt.timedelta(days=60)).isoformat()
    late = dict(rows[updates], order_id=f"L{tag}", order_date=late_day,
                updated_at=f"{stamp} 20:00:00")  # fmt: skip
    future_day = (day + dt.timedelta(days=30)).isoformat()
    future = dict(rows[updates + 1], order_id=f"F{tag}", order_date=future_day,
                  updated_at=f"{stamp} 21:00:00")  # fmt: skip
    extra = pa.Table.from_pylist(added + changes + [late, future], schema=sample.schema)
    combined = _appended(orders, extra)
    write_parquet(combined, out_dir / "orders.parquet")
    return {
        **customers,
        "new_orders": len(added),
        "updated_orders": [row["order_id"] for row in changes],
        "late_order": late["order_id"],
        "future_order": future["order_id"],
        "orders_rows": combined.num_rows,
    }


def append_customers(
    raw_dir: Path, out_dir: Path, day: dt.date, new_customers: int, updates: int
) -> dict[str, Any]:
    """Append to the customers file `new_customers` new customers (copies of
    existing rows with new ids) and `updates` new versions of existing customers
    (another industry and head count), all updated on `day`."""
    customers, sample = _raw_rows(
        raw_dir / "customers.parquet", (new_customers + updates) * 4
    )
    stamp = day.isoformat()
    rows = [row for row in sample.to_pylist() if _is_plain_customer(row)]
    if len(rows) < updates + 1:
        raise ValueError("too few plain customers to copy")
    added = [
        dict(rows[i % len(rows)], customer_id=f"N{day:%Y%m%d}{i:07d}",
             updated_at=f"{stamp} 08:{i % 60:02d}:00")
        for i in range(new_customers)
    ]  # fmt: skip
    changed = [
        dict(row, industry="finance" if row["industry"] != "finance" else "retail",
             employee_count="650", updated_at=f"{stamp} 17:{i:02d}:00")
        for i, row in enumerate(rows[:updates])
    ]  # fmt: skip
    extra = pa.Table.from_pylist(added + changed, schema=sample.schema)
    write_parquet(_appended(customers, extra), out_dir / "customers.parquet")
    return {
        "new_customers": len(added),
        "updated_customers": [row["customer_id"] for row in changed],
    }


def _raw_rows(path: Path, sample_rows: int) -> tuple[pa.Table, pa.Table]:
    """A raw Parquet file as it is, and its first `sample_rows` rows with every
    column as text, as the generator writes the text variant (a typed timestamp
    without the fractional seconds Parquet stores it with): appended rows are
    made as text from that sample and typed like the file (_appended)."""
    table = pq.read_table(path)
    sample = table.slice(0, min(table.num_rows, sample_rows))
    for position, field in enumerate(sample.schema):
        if not pa.types.is_string(field.type):
            column = sample.column(position)
            if pa.types.is_timestamp(field.type):
                column = column.cast(pa.timestamp("s", field.type.tz))
            sample = sample.set_column(position, field.name, column.cast(pa.string()))
    return table, sample


def _appended(table: pa.Table, extra: pa.Table) -> pa.Table:
    """The file's rows, as they are (bit for bit: a loaded row must read back
    unchanged), with the text rows `extra` after them, typed like the file when it
    is typed (generate.typed_table)."""
    if all(pa.types.is_string(field.type) for field in table.schema):
        return pa.concat_tables([table, extra])
    return pa.concat_tables([table, typed_table(extra).cast(table.schema)])


def _is_plain_customer(row: dict[str, Any]) -> bool:
    customer_id = row.get("customer_id")
    if not customer_id or customer_id.strip() != customer_id:
        return False
    try:
        dt.datetime.fromisoformat(row.get("updated_at") or "")
        return True
    except ValueError:
        return False


def _is_plain_completed(row: dict[str, Any]) -> bool:
    order_id, amount = row.get("order_id"), row.get("amount")
    if not order_id or order_id.strip() != order_id or row.get("status") != "completed":
        return False
    try:
        dt.date.fromisoformat(row.get("order_date") or "")
        return float(amount) >= 0 and float(row.get("cost")) >= 0
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------- tags


def floor_tags(
    raw_dir: Path, as_of: dt.date, memory_limit: str = "", typed_native: bool = False
) -> pd.DataFrame:
    """The floor query (tag_warehouse/devtools/floor_tags.sql) on a raw directory;
    typed_native: its typed-native variant (floor_sql)."""
    config = {"temp_directory": os.environ.get("WAREHOUSE_TEMP_DIR", ".duckdb_tmp")}
    with duckdb.connect(config=config) as con:
        if memory_limit:
            con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set variable raw_dir = ?", [str(raw_dir)])
        con.execute("set variable seeds_dir = ?", [str(SEEDS_DIR)])
        con.execute("set variable as_of = ?::date", [as_of.isoformat()])
        frame = con.execute(floor_sql(raw_dir, typed_native)).df()
    return normalise_tags(frame.set_index("customer_id"))


def copy_floor_tags(
    raw_dir: Path,
    as_of: dt.date,
    out: Path,
    memory_limit: str = "",
    typed_native: bool = False,
) -> None:
    """floor_tags written by DuckDB straight to the Parquet file `out` (customer_id
    and the tags), without a pandas frame: at 10 million customers the frame and
    its text copy (normalise_tags) would weigh more than the query."""
    config = {"temp_directory": os.environ.get("WAREHOUSE_TEMP_DIR", ".duckdb_tmp")}
    with duckdb.connect(config=config) as con:
        if memory_limit:
            con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set variable raw_dir = ?", [str(raw_dir)])
        con.execute("set variable seeds_dir = ?", [str(SEEDS_DIR)])
        con.execute("set variable as_of = ?::date", [as_of.isoformat()])
        tags = ", ".join(TAG_COLUMNS)
        sql = floor_sql(raw_dir, typed_native)
        con.execute(
            f"copy (select customer_id, {tags} from ({sql})) to '{out}'"
            " (format parquet, compression zstd)"
        )


def floor_sql(raw_dir: Path, typed_native: bool = False) -> str:
    """The floor query for raw_dir. The floor parses text: on typed Parquet
    (generate.typed_table) it reads each typed column cast back to text, so on
    typed data it is a text floor plus those casts. typed_native: the typed
    Parquet's own floor instead, which parses no typed column: the reads of
    floor_typed_reads.sql replace the text reads of the same names (every
    TYPED_COLUMNS column of every file must be typed)."""
    sql = FLOOR_SQL.read_text(encoding="utf-8")
    if typed_native:
        return _typed_native_floor_sql(sql, raw_dir)
    for path in sorted(Path(raw_dir).glob("*.parquet")):
        typed = [
            field.name
            for field in pq.read_schema(path)
            if field.name in TYPED_COLUMNS and not pa.types.is_string(field.type)
        ]
        if not typed:
            continue
        call = re.compile(
            r"read_parquet\(\s*getvariable\('raw_dir'\) \|\| '/"
            + re.escape(path.name)
            + r"',\s*file_row_number = true\s*\)"
        )
        casts = ", ".join(f"cast({name} as varchar) as {name}" for name in typed)
        reads = call.findall(sql)
        if len(reads) != 1:
            raise ValueError(
                f"floor_tags.sql reads {path.name} {len(reads)} times, not once"
            )
        sql = sql.replace(reads[0], f"(select * replace ({casts}) from {reads[0]})")
    return sql


def _typed_native_floor_sql(sql: str, raw_dir: Path) -> str:
    for path in sorted(Path(raw_dir).glob("*.parquet")):
        text = [
            field.name
            for field in pq.read_schema(path)
            if field.name in TYPED_COLUMNS and pa.types.is_string(field.type)
        ]
        if text:
            raise ValueError(
                f"{path} holds {', '.join(text)} as text: the typed-native floor"
                " reads typed Parquet (generate_data.py --format typed)"
            )
    blocks = {match.group(1): match for match in _CTE.finditer(sql)}
    for typed in _CTE.finditer(FLOOR_TYPED_READS_SQL.read_text(encoding="utf-8")):
        replaced = blocks.get(typed.group(1))
        if replaced is None:
            raise ValueError(f"floor_tags.sql has no CTE {typed.group(1)}")
        sql = sql.replace(replaced.group(0), typed.group(0))
    return sql


def marts_tags(db_path: Path) -> pd.DataFrame:
    """The rule-based tags (ltv aside) of the six marts of a warehouse file."""
    joins = " ".join(
        f"inner join marts.{mart} using (customer_id)" for mart in TAG_MARTS[1:]
    )
    sql = (
        f"select customer_id, {', '.join(TAG_COLUMNS)}"
        f" from marts.{TAG_MARTS[0]} {joins}"
    )
    with duckdb.connect(str(db_path), read_only=True) as con:
        frame = con.execute(sql).df()
    return normalise_tags(frame.set_index("customer_id"))


def normalise_tags(frame: pd.DataFrame) -> pd.DataFrame:
    """Same column order, index order and text types, so frames compare exactly."""
    frame = frame[list(TAG_COLUMNS)].sort_index()
    return frame.astype(str)


def tag_differences(left: pd.DataFrame, right: pd.DataFrame) -> dict[str, int]:
    """Differing values per tag ('customers' when the customer sets differ)."""
    left, right = normalise_tags(left), normalise_tags(right)
    if not left.index.equals(right.index):
        return {"customers": len(left.index.symmetric_difference(right.index))}
    diff = (left != right).sum()
    return {str(column): int(count) for column, count in diff.items() if count}


def mart_differences(left_db: Path, right_db: Path) -> dict[str, int]:
    """Rows that differ between the marts of two warehouse files, per mart
    (fitted floats compared to a relative 1e-6, everything else exactly)."""
    out: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{left_db}' as l (read_only)")
        con.execute(f"attach '{right_db}' as r (read_only)")
        for mart in TAG_MARTS:
            table = f"marts.{mart}"
            columns = [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns"
                    " where table_catalog = 'l' and table_schema = 'marts'"
                    f" and table_name = '{mart}'"
                ).fetchall()
            ]
            exact = [c for c in columns if c not in FITTED_COLUMNS]
            conditions = [f"l_.{c} is distinct from r_.{c}" for c in exact]
            conditions += [
                f"abs(l_.{c} - r_.{c}) > 1e-6 * greatest(abs(r_.{c}), 1)"
                for c in columns
                if c in FITTED_COLUMNS
            ]
            count = con.execute(
                f"select count(*) from l.{table} as l_"
                f" full outer join r.{table} as r_ on l_.customer_id = r_.customer_id"
                f" where l_.customer_id is null or r_.customer_id is null"
                f" or {' or '.join(conditions)}"
            ).fetchone()
            if count and count[0]:
                out[mart] = int(count[0])
    return out


# ---------------------------------------------------------------- dbt


def dbt_command(
    args: Sequence[str],
    workdir: Path,
    raw_dir: Path,
    as_of: dt.date,
    extra_vars: dict[str, Any] | None = None,
) -> list[str]:
    variables = {"raw_data_path": str(raw_dir), "as_of_date": as_of.isoformat()}
    variables.update(extra_vars or {})
    return [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        "--project-dir",
        str(ROOT),
        "--profiles-dir",
        str(ROOT),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        "--vars",
        json.dumps(variables),
    ]


def dbt_env(db_path: Path, threads: int | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["WAREHOUSE_DB"] = str(db_path)
    env["WAREHOUSE_TEMP_DIR"] = str(db_path.parent / "spill")
    if threads:
        env["WAREHOUSE_THREADS"] = str(threads)
    return env


def drop_warehouse(db: Path) -> None:
    """Start the next build from an empty warehouse file."""
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)


def slowest_models(target_dir: Path, top: int = 8) -> list[tuple[str, float]]:
    """The slowest nodes of a dbt invocation (run_results.json)."""
    path = target_dir / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text())["results"]
    timed = [
        (row["unique_id"].split(".", 2)[-1], float(row["execution_time"]))
        for row in results
    ]
    return sorted(timed, key=lambda item: -item[1])[:top]


# ---------------------------------------------------------------- one scale


Say = Callable[[str], None]


def _checked(step: Measured, say: Say) -> Measured:
    status = "ok" if step.returncode == 0 else f"FAILED ({step.returncode})"
    say(
        f"  {step.name:<28} {step.seconds:8.1f} s {step.cpu_seconds:8.1f} cpu s"
        f" {step.peak_rss_bytes / 2**20:8.0f} MB  {status}"
    )
    if step.returncode != 0:
        raise RuntimeError(f"{step.name} failed:\n{step.output[-4000:]}")
    return step


def run_scale(
    label: str,
    orders: int,
    workdir: Path,
    as_of: dt.date,
    dirty_rate: float,
    pandas_too: bool = True,
    say: Say = print,
    fmt: Format = "parquet",
) -> dict[str, Any]:
    """Every measurement of one scale; raises when any tag set differs. fmt: the
    raw files' format (generate.write): "parquet" (text) or "typed"."""
    python = sys.executable
    raw = workdir / "raw"
    steps: dict[str, Measured] = {}

    def step(name: str, command: Sequence[str | Path], **kwargs: Any) -> Measured:
        steps[name] = _checked(measure(name, command, **kwargs), say)
        return steps[name]

    scale = label
    if fmt != "parquet":
        label = f"{label} {fmt}"
    customers = customers_for(orders, scale)
    say(f"[{label}] {orders:,} orders, {customers:,} customers")
    step(
        "generate",
        [
            python,
            ROOT / "scripts" / "generate_data.py",
            "--customers",
            str(customers),
            "--years",
            str(generator_years(orders, scale)),
            "--dirty-rate",
            str(dirty_rate),
            "--as-of",
            as_of.isoformat(),
            "--format",
            fmt,
            "--out",
            raw,
        ],
    )
    order_rows = pq.ParquetFile(raw / "orders.parquet").metadata.num_rows

    # parse once, then both builds reuse the parsed project (same vars, same file)
    full = workdir / "full"
    db = full / "w.duckdb"
    step("dbt parse", dbt_command(["parse"], full, raw, as_of), env=dbt_env(db))
    step(
        "dbt build (with tests)",
        dbt_command(["build"], full, raw, as_of),
        env=dbt_env(db),
    )
    no_tests = ["--exclude", "resource_type:test", "resource_type:unit_test"]
    # Like for like with the floor and pandas: the six tag marts and their
    # parents, without the fitted ltv (neither competitor fits it). Other vars
    # mean another parse, done untimed first.
    marts = workdir / "marts"
    marts_command = partial(
        dbt_command, workdir=marts, raw_dir=raw, as_of=as_of, extra_vars=LTV_OFF
    )
    _checked(measure("(parse, untimed)", marts_command(["parse"]),
                     env=dbt_env(marts / "w.duckdb")), say)  # fmt: skip
    step(
        "dbt build (six tag marts)",
        marts_command(["build", "--select", *TAG_MARTS_SELECTION, *no_tests]),
        env=dbt_env(marts / "w.duckdb"),
    )
    drop_warehouse(marts / "w.duckdb")
    drop_warehouse(db)
    step(
        "dbt build (models)",
        dbt_command(["build", *no_tests], full, raw, as_of),
        env=dbt_env(db),
    )
    models_slowest = slowest_models(full / "target")

    results_dir = workdir / "results"
    results_dir.mkdir(exist_ok=True)
    step(
        "floor (one DuckDB query)",
        [python, "-m", "tag_warehouse.devtools.benchmark", "floor", raw,
         as_of.isoformat(), results_dir / "floor.parquet"],
    )  # fmt: skip
    if fmt == "typed":
        step(
            "floor (typed-native query)",
            [python, "-m", "tag_warehouse.devtools.benchmark", "floor-typed", raw,
             as_of.isoformat(), results_dir / "floor_typed.parquet"],
        )  # fmt: skip
    if pandas_too:
        step(
            "pandas",
            [python, "-m", "tag_warehouse.devtools.benchmark", "pandas", raw,
             as_of.isoformat(), results_dir / "pandas.parquet"],
        )  # fmt: skip
    step(
        "polars",
        [python, "-m", "tag_warehouse.devtools.benchmark", "polars", raw,
         as_of.isoformat(), results_dir / "polars.parquet"],
    )  # fmt: skip

    dbt_tags = marts_tags(db)
    floor = pd.read_parquet(results_dir / "floor.parquet").set_index("customer_id")
    checks = {"floor_vs_dbt": tag_differences(floor, dbt_tags)}
    if fmt == "typed":
        floor_typed = pd.read_parquet(results_dir / "floor_typed.parquet")
        checks["typed_floor_vs_dbt"] = tag_differences(
            floor_typed.set_index("customer_id"), dbt_tags
        )
    if pandas_too:
        pandas = pd.read_parquet(results_dir / "pandas.parquet")
        checks["pandas_vs_dbt"] = tag_differences(
            pandas.set_index("customer_id"), dbt_tags
        )
    polars = pd.read_parquet(results_dir / "polars.parquet")
    checks["polars_vs_dbt"] = tag_differences(polars.set_index("customer_id"), dbt_tags)
    say(f"  tags identical: {checks}")

    # incremental: one more day of orders on top of the full build
    next_day = as_of + dt.timedelta(days=1)
    raw_next = workdir / "raw_next"
    appended = append_day(raw, raw_next, next_day, new_orders=max(10, orders // 1096))
    daily = workdir / "daily"
    daily.mkdir(exist_ok=True)
    shutil.copyfile(full / "w.duckdb", daily / "w.duckdb")  # the same day-0 state
    # New vars mean a full parse (measured above as "dbt parse"): done untimed
    # before each of the three runs compared below, so they compare execution.
    for folder in (full, daily):
        prepare = dbt_command(["parse"], folder, raw_next, next_day)
        _checked(measure("(parse, untimed)", prepare, env=dbt_env(folder / "w.duckdb")),
                 say)  # fmt: skip
    step(
        "dbt run (incremental day)",
        dbt_command(["run"], full, raw_next, next_day),
        env=dbt_env(full / "w.duckdb"),
    )
    daily_slowest = slowest_models(full / "target")
    step(
        "dbt run --select +tag:daily",
        dbt_command(["run", "--select", "+tag:daily"], daily, raw_next, next_day),
        env=dbt_env(daily / "w.duckdb"),
    )
    (daily / "w.duckdb").unlink(missing_ok=True)
    refresh = workdir / "refresh"
    step("dbt seed (refresh; parses)", dbt_command(["seed"], refresh, raw_next,
         next_day), env=dbt_env(refresh / "w.duckdb"))  # fmt: skip
    step(
        "dbt run --full-refresh",
        # every model: the history models build on a new warehouse too
        dbt_command(
            ["run", "--full-refresh"],
            refresh,
            raw_next,
            next_day,
        ),  # fmt: skip
        env=dbt_env(refresh / "w.duckdb"),
    )
    checks["incremental_vs_full_refresh"] = mart_differences(
        full / "w.duckdb", refresh / "w.duckdb"
    )
    say(f"  incremental == full refresh: {checks['incremental_vs_full_refresh']}")

    failed = {name: diff for name, diff in checks.items() if diff}
    seconds = {name: s.seconds for name, s in steps.items()}
    result = {
        "scale": label,
        "orders": order_rows,
        "customers": customers,
        "memory_limit": memory_limit(),
        "steps": {
            name: {
                "seconds": round(s.seconds, 2),
                "cpu_seconds": round(s.cpu_seconds, 2),
                "orders_per_second": round(order_rows / s.seconds),
                "peak_rss_mb": round(s.peak_rss_bytes / 2**20),
            }
            for name, s in steps.items()
        },
        "ratios": ratios(seconds),
        "cpu_ratios": ratios({name: s.cpu_seconds for name, s in steps.items()}),
        "appended": appended,
        "slowest_models_full_build": models_slowest,
        "slowest_models_incremental_run": daily_slowest,
        "checks": checks,
        "identical": not failed,
    }
    if failed:
        raise RuntimeError(f"[{label}] results differ: {failed}")
    return result


def sql_tag_differences(tags_parquet: Path, db_path: Path) -> dict[str, int]:
    """tag_differences computed in DuckDB: a competitor's tags (a Parquet file of
    customer_id and TAG_COLUMNS) against the marts of a warehouse file, compared as
    text. For scales whose tags do not fit in pandas frames (10 million customers)."""
    joins = " ".join(
        f"inner join w.marts.{mart} using (customer_id)" for mart in TAG_MARTS[1:]
    )
    columns = ", ".join(TAG_COLUMNS)
    marts = f"select customer_id, {columns} from w.marts.{TAG_MARTS[0]} {joins}"
    counts = ", ".join(
        f"count(*) filter (where l.{c}::varchar is distinct from r.{c}::varchar)"
        for c in TAG_COLUMNS
    )
    with duckdb.connect(config={"memory_limit": memory_limit()}) as con:
        con.execute(f"attach '{db_path}' as w (read_only)")
        con.execute("set variable tags = ?", [str(tags_parquet)])
        missing = con.execute(
            f"select count(*) from read_parquet(getvariable('tags')) as l"
            f" full outer join ({marts}) as r on l.customer_id = r.customer_id"
            f" where l.customer_id is null or r.customer_id is null"
        ).fetchone()
        differing = con.execute(
            f"select {counts} from read_parquet(getvariable('tags')) as l"
            f" inner join ({marts}) as r using (customer_id)"
        ).fetchone()
    out = {"customers": int(missing[0])} if missing and missing[0] else {}
    for column, count in zip(TAG_COLUMNS, differing or (), strict=True):
        if count:
            out[column] = int(count)
    return out


def run_tag_marts_scale(
    label: str,
    orders: int,
    workdir: Path,
    as_of: dt.date,
    dirty_rate: float,
    say: Say = print,
    fmt: Format = "parquet",
    every_model: bool = False,
) -> dict[str, Any]:
    """The lean run for scales too big for run_scale (100m): generate (unless
    workdir/raw holds the files already), the six tag marts with ltv off, the
    floor(s) writing their tags with DuckDB (not through pandas), and with
    every_model the build of every model; tags compared in DuckDB
    (sql_tag_differences). No tests, pandas, Polars or incremental day. Each dbt
    and floor step records the peak size of its spill directory too."""
    python = sys.executable
    raw = workdir / "raw"
    steps: dict[str, Measured] = {}

    def step(name: str, command: Sequence[str | Path], **kwargs: Any) -> Measured:
        steps[name] = _checked(measure(name, command, interval=0.2, **kwargs), say)
        return steps[name]

    scale = label
    if fmt != "parquet":
        label = f"{label} {fmt}"
    customers = customers_for(orders, scale)
    say(f"[{label}] {orders:,} orders, {customers:,} customers (tag marts run)")
    if not (raw / "orders.parquet").exists():
        step(
            "generate",
            [python, ROOT / "scripts" / "generate_data.py", "--customers",
             str(customers), "--years", str(generator_years(orders, scale)),
             "--dirty-rate", str(dirty_rate), "--as-of", as_of.isoformat(),
             "--format", fmt, "--out", raw],
        )  # fmt: skip
    else:
        say(f"  generate: reusing {raw}")
    order_rows = pq.ParquetFile(raw / "orders.parquet").metadata.num_rows

    marts = workdir / "marts"
    marts_env = dbt_env(marts / "w.duckdb")
    (marts / "spill").mkdir(parents=True, exist_ok=True)
    marts_command = partial(
        dbt_command, workdir=marts, raw_dir=raw, as_of=as_of, extra_vars=LTV_OFF
    )
    _checked(measure("(parse, untimed)", marts_command(["parse"]), env=marts_env),
             say)  # fmt: skip
    no_tests = ["--exclude", "resource_type:test", "resource_type:unit_test"]
    step(
        "dbt build (six tag marts)",
        marts_command(["build", "--select", *TAG_MARTS_SELECTION, *no_tests]),
        env=marts_env,
        watch=marts / "spill",
    )
    marts_slowest = slowest_models(marts / "target")
    say(f"  slowest models: {marts_slowest}")

    results_dir = workdir / "results"
    results_dir.mkdir(exist_ok=True)
    floor_env = {**os.environ, "WAREHOUSE_TEMP_DIR": str(workdir / "floor_spill")}
    (workdir / "floor_spill").mkdir(exist_ok=True)
    floors = {"floor (one DuckDB query)": ("floor", "floor.parquet")}
    if fmt == "typed":
        floors["floor (typed-native query)"] = ("floor-typed", "floor_typed.parquet")
    checks = {}
    for name, (which, out) in floors.items():
        step(
            name,
            [python, "-m", "tag_warehouse.devtools.benchmark", which, raw,
             as_of.isoformat(), results_dir / out, "--copy"],
            env=floor_env,
            watch=workdir / "floor_spill",
        )  # fmt: skip
        checks[f"{which}_vs_dbt"] = sql_tag_differences(
            results_dir / out, marts / "w.duckdb"
        )
    say(f"  tags identical: {checks}")
    models_slowest: list[tuple[str, float]] = []
    if every_model:
        drop_warehouse(marts / "w.duckdb")
        full = workdir / "full"
        (full / "spill").mkdir(parents=True, exist_ok=True)
        full_env = dbt_env(full / "w.duckdb")
        _checked(measure("(parse, untimed)", dbt_command(["parse"], full, raw, as_of),
                         env=full_env), say)  # fmt: skip
        step(
            "dbt build (models)",
            dbt_command(["build", *no_tests], full, raw, as_of),
            env=full_env,
            watch=full / "spill",
        )
        models_slowest = slowest_models(full / "target")
        say(f"  slowest models: {models_slowest}")

    failed = {name: diff for name, diff in checks.items() if diff}
    result = {
        "scale": label,
        "orders": order_rows,
        "customers": customers,
        "memory_limit": memory_limit(),
        "load_average": list(os.getloadavg()),
        "steps": {
            name: {
                "seconds": round(s.seconds, 2),
                "cpu_seconds": round(s.cpu_seconds, 2),
                "orders_per_second": round(order_rows / s.seconds),
                "peak_rss_mb": round(s.peak_rss_bytes / 2**20),
                "peak_spill_mb": round(s.peak_watched_bytes / 2**20),
            }
            for name, s in steps.items()
        },
        "ratios": ratios({name: s.seconds for name, s in steps.items()}),
        "cpu_ratios": ratios({name: s.cpu_seconds for name, s in steps.items()}),
        "slowest_models_tag_marts": marts_slowest,
        "slowest_models_full_build": models_slowest,
        "checks": checks,
        "identical": not failed,
    }
    if failed:
        raise RuntimeError(f"[{label}] results differ: {failed}")
    return result


def ratios(seconds: dict[str, float]) -> dict[str, float]:
    def ratio(top: str, bottom: str) -> float | None:
        if top in seconds and bottom in seconds and seconds[bottom] > 0:
            return round(seconds[top] / seconds[bottom], 2)
        return None

    values = {
        "build_over_floor": ratio("dbt build (models)", "floor (one DuckDB query)"),
        "tag_marts_build_over_floor": ratio(
            "dbt build (six tag marts)", "floor (one DuckDB query)"
        ),
        "build_over_typed_floor": ratio(
            "dbt build (models)", "floor (typed-native query)"
        ),
        "tag_marts_build_over_typed_floor": ratio(
            "dbt build (six tag marts)", "floor (typed-native query)"
        ),
        "pandas_over_build": ratio("pandas", "dbt build (models)"),
        "pandas_over_tag_marts_build": ratio("pandas", "dbt build (six tag marts)"),
        "polars_over_tag_marts_build": ratio("polars", "dbt build (six tag marts)"),
        "incremental_over_full_refresh": ratio(
            "dbt run (incremental day)", "dbt run --full-refresh"
        ),
        "daily_tags_over_full_refresh": ratio(
            "dbt run --select +tag:daily", "dbt run --full-refresh"
        ),
        "daily_tags_over_full_build": ratio(
            "dbt run --select +tag:daily", "dbt build (models)"
        ),
    }
    return {name: value for name, value in values.items() if value is not None}


# ---------------------------------------------------------------- report


TABLE_STEPS = (
    "generate",
    "dbt parse",
    "dbt build (models)",
    "dbt build (with tests)",
    "dbt build (six tag marts)",
    "floor (one DuckDB query)",
    "floor (typed-native query)",
    "pandas",
    "polars",
    "dbt run --full-refresh",
    "dbt run (incremental day)",
    "dbt run --select +tag:daily",
)


def limited_by_duckdb(step: str) -> bool:
    """Whether a step runs under DuckDB's memory limit (the dbt steps and the
    floors; not the generator, pandas nor Polars)."""
    return step.startswith(("dbt", "floor"))


def peak_against_limit(peak_rss_mb: int, limit: str) -> str:
    """`4GB (peak 1.15x)`: the memory limit and the peak RSS of the process tree as
    a multiple of it (the limit covers DuckDB's buffers, not Python and dbt)."""
    limit_bytes = memory_limit_bytes(limit)
    if not limit_bytes:
        return limit
    return f"{limit} (peak {peak_rss_mb * 2**20 / limit_bytes:.2f}x)"


def format_table(results: list[dict[str, Any]]) -> str:
    """A Markdown table: seconds, orders per second, peak RSS next to DuckDB's
    memory limit (WAREHOUSE_MEMORY_LIMIT); then the ratios."""
    lines = [
        "| scale | orders | step | seconds | CPU seconds | orders/s | peak RSS (MB)"
        " | WAREHOUSE_MEMORY_LIMIT |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for result in results:
        limit = result.get("memory_limit", DEFAULT_MEMORY_LIMIT)
        for name in TABLE_STEPS:
            measured = result["steps"].get(name)
            if measured is None:
                continue
            against = (
                peak_against_limit(measured["peak_rss_mb"], limit)
                if limited_by_duckdb(name)
                else "-"
            )
            lines.append(
                f"| {result['scale']} | {result['orders']:,} | {name} |"
                f" {measured['seconds']:.1f} | {measured.get('cpu_seconds', 0):.1f} |"
                f" {measured['orders_per_second']:,} | {measured['peak_rss_mb']:,} |"
                f" {against} |"
            )
    columns = {
        "build_over_floor": "build / floor",
        "tag_marts_build_over_floor": "tag marts build / floor",
        "build_over_typed_floor": "build / typed floor",
        "tag_marts_build_over_typed_floor": "tag marts build / typed floor",
        "pandas_over_build": "pandas / build",
        "pandas_over_tag_marts_build": "pandas / tag marts build",
        "polars_over_tag_marts_build": "Polars / tag marts build",
        "incremental_over_full_refresh": "incremental day / full refresh",
        "daily_tags_over_full_refresh": "+tag:daily day / full refresh",
        "daily_tags_over_full_build": "+tag:daily day / full build",
    }
    lines += [
        "",
        "| scale | " + " | ".join(columns.values()) + " | tags identical |",
        "|---|" + "---:|" * len(columns) + "---|",
    ]
    for result in results:
        for kind in ("ratios", "cpu_ratios"):
            if kind not in result:
                continue
            r = result[kind]
            label = result["scale"] + (" (CPU)" if kind == "cpu_ratios" else "")
            cells = " | ".join(str(r.get(key, "-")) for key in columns)
            identical = "yes" if result["identical"] else "NO"
            lines.append(f"| {label} | {cells} | {identical} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- subprocess entry


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.reset_index().to_parquet(path, index=False)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tag_warehouse.devtools.benchmark floor|pandas|polars RAW_DIR AS_OF
    OUT`: compute one competitor's tags in its own process (its time and memory its
    own)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("which", choices=("floor", "floor-typed", "pandas", "polars"))
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("as_of", type=dt.date.fromisoformat)
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--copy",
        action="store_true",
        help="floors: DuckDB writes the tags to OUT as they are (no pandas frame;"
        " for millions of customers)",
    )
    args = parser.parse_args(argv)
    if args.copy and args.which in ("floor", "floor-typed"):
        copy_floor_tags(
            args.raw_dir,
            args.as_of,
            args.out,
            memory_limit=os.environ.get("WAREHOUSE_MEMORY_LIMIT", "4GB"),
            typed_native=args.which == "floor-typed",
        )
        return 0
    if args.which in ("floor", "floor-typed"):
        memory = os.environ.get("WAREHOUSE_MEMORY_LIMIT", "4GB")
        frame = floor_tags(
            args.raw_dir,
            args.as_of,
            memory_limit=memory,
            typed_native=args.which == "floor-typed",
        )
    elif args.which == "polars":
        frame = polars_tags(args.raw_dir, args.as_of)
    else:
        frame = pandas_tags(args.raw_dir, args.as_of)
    _write(frame, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
