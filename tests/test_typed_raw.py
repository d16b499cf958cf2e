"""Typed Parquet raw files (issue #22): staging reads a column that already has
its contract type as a value and only checks it; the same generated data written
typed and as text builds the same marts and rejects the same rows alike."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zoneinfo
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dbt_helpers import AS_OF, MODELS_ONLY, DbtRun, generated_raw, run_dbt

from tag_warehouse.devtools.benchmark import (
    append_day,
    floor_tags,
    mart_differences,
    marts_tags,
    tag_differences,
)
from tag_warehouse.devtools.generate import TYPED_COLUMNS, Format
from tag_warehouse.devtools.pandas_tags import pandas_tags
from tag_warehouse.devtools.polars_tags import polars_tags

TABLES = ("customers", "orders", "promotions", "service_interactions")
ZONE = "Asia/Shanghai"


@pytest.fixture(scope="module")
def raw_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small dirty data set, written as text Parquet and as typed Parquet."""
    dirs = {}
    fmt: Format
    for fmt in ("parquet", "typed"):
        dirs[fmt] = tmp_path_factory.mktemp(f"raw_{fmt}")
        generated_raw(dirs[fmt], 300, 11, 0.05, fmt)
    return dirs


@pytest.fixture(scope="module")
def builds(
    raw_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, DbtRun]:
    runs = {}
    for fmt, raw in raw_dirs.items():
        run = run_dbt(["build", *MODELS_ONLY], tmp_path_factory.mktemp(fmt), raw)
        assert run.success, run.log
        runs[fmt] = run
    return runs


def test_typed_columns_are_read_as_values(builds: dict[str, DbtRun]) -> None:
    def typed_columns(run: DbtRun) -> set[str]:
        return {
            f"{table}.{column}"
            for table, column in run.query(
                "select table_name, column_name from information_schema.columns"
                " where table_schema = 'raw' and column_name like '\\_typed\\_%'"
                " escape '\\'"
            )
        }

    assert typed_columns(builds["parquet"]) == set()
    assert typed_columns(builds["typed"]) == {
        "customers._typed_employee_count",
        "customers._typed_created_at",
        "customers._typed_updated_at",
        "orders._typed_order_date",
        "orders._typed_amount",
        "orders._typed_cost",
        "orders._typed_updated_at",
        "promotions._typed_start_date",
        "promotions._typed_end_date",
        "promotions._typed_discount_rate",
        "service_interactions._typed_occurred_at",
        "service_interactions._typed_satisfaction",
    }
    compiled = (
        builds["typed"].target_path
        / "compiled/customer_tags/models/staging/crm/base"
        / "base_crm__orders_parsed.sql"
    ).read_text(encoding="utf-8")
    assert "try_cast(_typed_amount as decimal(18, 4))" in compiled
    assert "_typed_order_date" in compiled
    assert "try_strptime" not in compiled  # no column of it is parsed as a date


def test_typed_and_text_build_the_same_marts(builds: dict[str, DbtRun]) -> None:
    assert mart_differences(builds["typed"].db_path, builds["parquet"].db_path) == {}


def test_typed_and_text_reject_and_reconcile_alike(builds: dict[str, DbtRun]) -> None:
    """Malformed dirt is null in the typed file (generate.typed_table): the
    required columns reject it with the same reason as the text."""

    def counts(run: DbtRun, table: str) -> list[tuple[object, ...]]:
        return sorted(
            run.query(
                "select row_status, reject_reason, reject_column, count(*),"
                " count(distinct _source_row) from staging.base_crm__"
                + table
                + " group by all"
            ),
            key=str,
        )

    for table in TABLES:
        typed = counts(builds["typed"], table)
        assert typed == counts(builds["parquet"], table), table
        raw_rows = builds["typed"].scalar(f"select count(*) from raw.{table}")
        assert sum(row[3] for row in typed) == raw_rows, table
    rejected = builds["typed"].scalar(
        "select count(*) from staging.base_crm__orders where row_status = 'rejected'"
    )
    assert rejected > 0


def test_timestamptz_follows_warehouse_timezone(
    raw_dirs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A TIMESTAMP WITH TIME ZONE column is read in WAREHOUSE_TIMEZONE, as its
    text with an offset is: 20:00 UTC is the next day in Shanghai."""
    raw = tmp_path / "raw"
    shutil.copytree(raw_dirs["typed"], raw)
    promotions = pq.read_table(raw / "promotions.parquet")
    late = promotions.column("start_date").cast(pa.timestamp("s"))
    late = pc.add(late, pa.scalar(dt.timedelta(hours=20))).cast(
        pa.timestamp("s", tz="UTC")
    )
    position = promotions.column_names.index("start_date")
    pq.write_table(
        promotions.set_column(position, "start_date", late), raw / "promotions.parquet"
    )
    monkeypatch.setenv("WAREHOUSE_TIMEZONE", ZONE)
    run = run_dbt(["run", "--select", "base_crm__promotions"], tmp_path / "w", raw)
    assert run.success, run.log
    zone = zoneinfo.ZoneInfo(ZONE)
    expected = {
        row: instant.astimezone(zone).date()
        for row, instant in enumerate(late.to_pylist(), start=1)
        if instant is not None
    }
    found = dict(
        run.query(
            "select _source_row, start_date from staging.base_crm__promotions"
            " where start_date is not null"
        )
    )
    assert found == expected
    utc_dates = {
        row: instant.date()
        for row, instant in enumerate(late.to_pylist(), start=1)
        if instant is not None
    }
    assert all(found[row] == utc_dates[row] + dt.timedelta(days=1) for row in found)


# The incremental staging models of the raw files (DuckDB) and what an incremental
# run of them compares, between an appended-only run and a full reparse.
INCREMENTAL = ("base_crm__orders_parsed", "base_crm__customers")
VERSIONS = (
    "base_crm__order_versions",
    "_source_row, order_id, amount, status, updated_at, version_rank, version_count",
)
NEXT_DAY = (dt.date.fromisoformat(AS_OF) + dt.timedelta(days=1)).isoformat()


@pytest.fixture(scope="module")
def typed_next_day(
    raw_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    raw = tmp_path_factory.mktemp("typed_next_day")
    append_day(raw_dirs["typed"], raw, dt.date.fromisoformat(NEXT_DAY), 20)
    return raw


def text_fingerprint(compiled: str) -> str:
    """The fingerprint of a compiled fingerprinted model with every typed column
    hashed as its text (_typed_<column> -> <column>): the formula of the models
    before they hashed typed values (raw_row_fingerprint), under today's
    signature."""
    match = re.search(
        r"(hash\(\s*hash\(.*?\),\s*_source_row,.*?\)) as _row_fingerprint",
        compiled,
        re.DOTALL,
    )
    assert match, "no fingerprint in the compiled model"
    return match.group(1).replace("_typed_", "")


def incremental_staging_run(
    build: DbtRun, raw: Path, workdir: Path, text_fingerprints: bool = False
) -> DbtRun:
    """The fingerprinted models of a copy of `build`'s warehouse, run again
    incrementally on `raw`; text_fingerprints: their stored fingerprints first
    replaced by text_fingerprint's, as a warehouse built before typed values were
    hashed holds them."""
    workdir.mkdir()
    shutil.copyfile(build.db_path, workdir / build.db_path.name)
    if text_fingerprints:
        compiled_dir = build.target_path / "compiled/customer_tags/models/staging"
        with duckdb.connect(str(workdir / build.db_path.name)) as con:
            for model, table in zip(INCREMENTAL, ("orders", "customers"), strict=True):
                compiled = (compiled_dir / f"crm/base/{model}.sql").read_text("utf-8")
                con.execute(
                    f"update staging.{model} as stored"
                    " set _row_fingerprint = file.fingerprint"
                    f" from (select _source_row, {text_fingerprint(compiled)}"
                    f" as fingerprint from raw.{table}) as file"
                    " where stored._source_row = file._source_row"
                )
    run = run_dbt(["run", "--select", *INCREMENTAL, VERSIONS[0]], workdir, raw)
    assert run.success, run.log
    return run


@pytest.fixture(scope="module")
def typed_incremental(
    builds: dict[str, DbtRun],
    typed_next_day: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, DbtRun]:
    """An incremental run of the typed warehouse on the appended typed files, with
    the fingerprints as stored (appends) and with text fingerprints (reparses)."""
    return {
        kind: incremental_staging_run(
            builds["typed"],
            typed_next_day,
            tmp_path_factory.mktemp(kind) / "w",
            text_fingerprints=kind == "text_fingerprints",
        )
        for kind in ("stored", "text_fingerprints")
    }


def test_typed_incremental_day_parses_only_the_appended_rows(
    builds: dict[str, DbtRun],
    typed_incremental: dict[str, DbtRun],
    typed_next_day: Path,
) -> None:
    """Typed values hashed natively are stable from run to run: the loaded rows
    stay as they were loaded (their _loaded_at), only the appended ones are new."""
    run = typed_incremental["stored"]
    assert "parsing the whole" not in run.log
    for model, table in zip(INCREMENTAL, ("orders", "customers"), strict=True):
        loaded = builds["typed"].scalar(f"select count(*) from staging.{model}")
        file_rows = pq.ParquetFile(
            typed_next_day / f"{table}.parquet"
        ).metadata.num_rows
        assert run.query(
            f"select count(*), count(distinct _source_row) from staging.{model}"
        ) == [(file_rows, file_rows)], model
        first_load = builds["typed"].scalar(
            f"select min(_loaded_at) from staging.{model}"
        )
        kept = run.scalar(
            f"select count(*) from staging.{model} where _loaded_at = '{first_load}'"
        )
        # the customers rewrite the stored versions of the customers appended to
        assert loaded - 3 <= kept <= loaded and kept < file_rows, model


def test_fingerprints_of_the_text_formula_parse_the_files_again(
    typed_incremental: dict[str, DbtRun],
) -> None:
    """A warehouse whose typed rows were fingerprinted as text (before this
    version) is parsed again in full, not appended to (nothing loaded twice), and
    equals the appended run."""
    again, appended = (
        typed_incremental["text_fingerprints"],
        typed_incremental["stored"],
    )
    for model in INCREMENTAL:
        assert f"{model}: every loaded row parses differently now" in again.log
    assert "base_crm__order_versions: base_crm__orders_parsed was parsed" in again.log
    for model, columns in (*((m, None) for m in INCREMENTAL), VERSIONS):
        if columns is None:
            columns = ", ".join(
                name
                for (name,) in again.query(
                    "select column_name from information_schema.columns"
                    f" where table_name = '{model}' and column_name != '_loaded_at'"
                )
            )
        rows = {
            run.db_path: sorted(
                run.query(f"select {columns} from staging.{model}"), key=str
            )
            for run in (again, appended)
        }
        assert rows[again.db_path] == rows[appended.db_path], model


def test_benchmark_peers_equal_the_marts_on_typed_data(
    raw_dirs: dict[str, Path], builds: dict[str, DbtRun], tmp_path: Path
) -> None:
    """The floor, pandas and Polars read typed Parquet too; an appended day keeps
    the file's types (tag_warehouse/devtools/benchmark.py)."""
    as_of = dt.date.fromisoformat(AS_OF)
    dbt_tags = marts_tags(builds["typed"].db_path)
    typed_floor = partial(floor_tags, typed_native=True)
    for peer in (floor_tags, typed_floor, pandas_tags, polars_tags):
        assert tag_differences(peer(raw_dirs["typed"], as_of), dbt_tags) == {}, peer
    with pytest.raises(ValueError, match="typed-native floor reads typed Parquet"):
        typed_floor(raw_dirs["parquet"], as_of)
    append_day(raw_dirs["typed"], tmp_path, as_of + dt.timedelta(days=1), 20)
    for table in ("customers", "orders"):
        loaded = pq.read_table(raw_dirs["typed"] / f"{table}.parquet")
        appended = pq.read_table(tmp_path / f"{table}.parquet")
        typed = {f.name for f in appended.schema if not pa.types.is_string(f.type)}
        assert typed == set(TYPED_COLUMNS) & set(appended.schema.names), table
        # the loaded rows unchanged (an incremental run appends, parses nothing
        # again), the appended ones typed: their timestamps are not dropped as
        # malformed text
        assert appended.slice(0, loaded.num_rows).equals(loaded), table
        new_rows = appended.slice(loaded.num_rows)
        assert new_rows.column("updated_at").null_count == 0, table
        if table == "customers":
            assert new_rows.column("created_at").null_count == 0
