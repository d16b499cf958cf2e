"""The same models on DuckDB, PostgreSQL and Spark give every customer the same tags.

One small generated dirty data set (CSV) is built three times: on DuckDB from the
files, and on a throw-away PostgreSQL cluster and a local Spark (one session for the
loader and dbt) from the tables `scripts/engines.py load` writes. The six tag marts
are compared tag by tag, customer by customer. ltv and churn_risk are scored in
SQL on every engine from fitted parameters: DuckDB fits inside `dbt build`;
PostgreSQL and Spark build the grouped CLV summaries, run the client-side fit step
(tag_warehouse.clv_engine, `scripts/clv.py fit`), then build, and their ltv,
churn_risk and CLV backtest are compared with DuckDB's for every customer.

The rest of the product (the CRM long table with its reasons, the profile, the
history models, the change log, health, backtests and audiences) is built with the
marts, then twice more at earlier dates out of date order, and every one of those
tables is compared row for row on both engines. The data tests run on DuckDB and
PostgreSQL; on Spark they would be hundreds of small Spark jobs (minutes).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_helpers import AS_OF, ROOT, SMALL_DATA_VARS, DbtRun, generated_raw, run_dbt

from tag_warehouse import engines
from tag_warehouse.clv_engine import AFTER_FIT_SELECTION, fit_on_engine
from tag_warehouse.marts import TAG_MARTS

# The six tag marts with everything upstream of them (two seeds among them).
SELECTION = ["--select", *(f"+{mart}" for mart in TAG_MARTS)]

# The CLV tags (fitted on every engine: checked not all unknown).
CLV_TAGS = ("ltv", "churn_risk")
# Vars of the builds that fit the CLV models (the defaults: both on).
CLV_VARS: dict[str, Any] = {}
# What the client-side fit reads: the grouped CLV summaries, the scoring fit's and
# the backtest's (the documented selection, docs/engines.md).
CLV_INPUTS = ["+tag:clv_fit_inputs"]
# The models reading the fit and everything downstream of them: what Spark builds
# after its fit step (spark_tags).
AFTER_FIT = AFTER_FIT_SELECTION.split()

# (relation, customer_id or _source_row) -> column (a tag) -> value
Tags = dict[tuple[str, str], dict[str, str]]

# The rest of the product, built with the tag marts on DuckDB and PostgreSQL: the
# CRM long table and profile, the history models, the change log, health,
# backtests and the audiences (everything that reads the marts), and the
# semantic layer's day spine.
PRODUCT = ["+tag:operations", "+path:models/marts/audiences", "time_spine_daily"]
# Two more builds after AS_OF's, out of date order (AS_OF - 120, then AS_OF - 20,
# whose backtest reads the tags of AS_OF - 120: more than the 90-day horizon
# back), without the CLV fits.
LATER_BUILDS = [
    (dt.date.fromisoformat(AS_OF) - dt.timedelta(days=days)).isoformat()
    for days in (120, 20)
]
# Every consumer table compared after the three builds (the marts are above).
PRODUCT_TABLES = [
    "marts.customer_tags",
    "marts.customer_profile",
    "marts.customer_tag_changes",
    "marts.tag_health",
    "marts.tag_value_health",
    "marts.tag_outcome_backtest",
    "marts.tag_rule_fingerprints",
    "marts.clv_model_quality",
    "marts.customer_audiences",
    "marts.audience_members",
    "marts.audience_sizes",
    "marts.audience_membership_history",
    *(f"history.{mart}_history" for mart in TAG_MARTS),
    "history.customer_audiences_history",
    "time_spine_daily",  # the target's default schema on every engine
]
# Compared after the first build, the one with the CLV fits (the later builds run
# without them, so the product's CLV backtest rows after them say `disabled`).
FITTED_TABLES = ["marts.clv_model_quality"]
# Columns that say when a build ran, not what it found.
BUILD_TIME_COLUMNS = {"recorded_at"}
# A table's rows as sorted text tuples (column names first).
Rows = list[tuple[str, ...]]


# Raw text in every form of the raw input contract, and broken ones, parsed by the
# staging parsers on each engine (the generated data has only some of the forms).
PARSER_INPUTS = [
    "2026-06-01", "2026-6-1", "2026/6/2", "2026/06/02", "20260603", "2026.3.5",
    "2026-06-01 12:00:00+08:00", "2026-06-01T12:00:00Z", "2026-06-01 12:00",
    "2026-06-01 1:02:03", "2026-06-01 12:00:00-05:30", "2026-06-01 12:00:00+08",
    "2026/3/5 10:00:00", "2026/3/5 10:00", "2024-02-29", "2023-02-29", "2024-02-30",
    "2025-13-45", "2025-13-45 25:61:00", "2024-02-30 12:00:00", "2026-06-01 23:59:60",
    "2026-04-31", "20261301", "not a date", "31/31/2024", "N/A", "yesterday", "",
    "  ", " 2026-06-01\u3000", "\t2026-06-01 ", "1,200.50", "¥100", "￥1 000", "$5",
    "-5", "+5", ".5", "5.", "1.23455", "-1.23455", "1e3", "abc", "12,5O", "1OO",
    "--", "12.0", "12.5", "007", " 42 ", "99999999999999999999",
    # two-digit, short and implausible years (raw_min_year, raw_max_year)
    "26-06-01", "26-6-1", "6/1/26", "26/06/01", "0026-06-01", "02026-06-01",
    "12026-06-01", "1899-12-31", "1900-01-01", "2100-12-31 23:59:59", "2101-01-01",
    "26-06-01 10:00:00", "2026611", "epoch", "infinity", "1800-06-01",
    # decimal and thousands separators (raw_decimal_separator)
    "1715,30", "5.285,14", "1,2,3", "0,123", "12,345", "1.234", "1,234", "1,000",
    "1.234,56", "1.234.567,8", "¥1,234.50", "-1,234.5", "1 000,5", "12,0",
    # invisible characters around keys, and letter case
    "\u00a0C002\u200b", "\ufeffC003\u3000", "\u200cc004\u200d", "a\u00a0b",
]  # fmt: skip
PARSERS = [
    "parse_date",
    "parse_timestamp",
    "parse_decimal",
    "parse_integer",
    "clean_key",
]
# The parsers run twice: with the default vars, and with the other setting of each
# var that changes how a value parses.
PARSER_SETTINGS = {
    "parsers": {},
    "parsers_other_settings": {
        "raw_decimal_separator": ",",
        "raw_keys_case_insensitive": True,
        "raw_min_year": 1800,
    },
}


def parser_sql() -> str:
    """`dbt show` SQL: each input, and each parser's result as text."""
    rows = " union all ".join(
        f"select {number} as input_number, '{text}' as input_text"
        for number, text in enumerate(PARSER_INPUTS)
    )
    parsed = ", ".join(
        f"cast({{{{ {parser}('input_text') }}}} as {{{{ dbt.type_string() }}}})"
        f" as {parser}"
        for parser in PARSERS
    )
    return f"with inputs as ({rows}) select input_number, {parsed} from inputs"


def parsed_inputs(workdir: Path, raw_dir: Path, target: str) -> Tags:
    # The parsers are macros: a macros-only project parses in seconds per engine.
    project = engines.macros_only_project(workdir / "project")
    tags: Tags = {}
    for label, settings in PARSER_SETTINGS.items():
        show = run_dbt(
            ["show", "--inline", parser_sql(), "--limit", "1000", "--target", target],
            workdir / label,
            raw_dir,
            extra_vars={**SMALL_DATA_VARS, **settings},
            project_dir=project,
        )
        assert show.success, f"dbt show on {target} failed:\n{show.log}"
        table = show.result.results[0].agate_table
        assert len(table.rows) == len(PARSER_INPUTS)
        tags |= {
            (label, repr(PARSER_INPUTS[int(row[0])])): {
                parser: str(value)
                for parser, value in zip(PARSERS, row[1:], strict=True)
            }
            for row in table.rows
        }
    return tags


def tag_columns() -> dict[str, list[str]]:
    """mart -> its tag columns, from the tag registry seed."""
    columns: dict[str, list[str]] = {mart: [] for mart in TAG_MARTS}
    with (ROOT / "seeds" / "tag_registry.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            columns[row["mart"]].append(row["tag"])
    return columns


# Besides the tags: how staging classified every raw row (parsing parity).
ROW_CHECKS = {
    f"base_crm__{table}": ["row_status", "reject_reason", "reject_column"]
    for table in engines.RAW_CONTRACT
}


def compared_columns() -> dict[str, list[str]]:
    """relation (schema.table) -> the compared columns after its key."""
    marts = {f"marts.{mart}": tags for mart, tags in tag_columns().items()}
    return marts | {f"staging.{base}": cols for base, cols in ROW_CHECKS.items()}


def queries() -> dict[str, str]:
    """relation -> a query of its key (customer_id, or _source_row) and columns."""
    keys = {"marts": "customer_id", "staging": "_source_row"}
    return {
        relation: f"select {keys[relation.split('.')[0]]}, {', '.join(columns)}"
        f" from {relation}"
        for relation, columns in compared_columns().items()
    }


def as_tags(relation: str, rows: list[Any]) -> Tags:
    names = compared_columns()[relation]
    return {
        (relation, str(row[0])): {
            name: str(value) for name, value in zip(names, row[1:], strict=True)
        }
        for row in rows
    }


def as_whole_rows(relation: str, rows: Rows) -> Tags:
    """Each row of a relation (table_rows) as a key, its columns matched by name
    (Spark holds a partition column last)."""
    names = rows[0]
    order = sorted(range(len(names)), key=names.__getitem__)
    keys = ("|".join(f"{names[i]}={row[i]}" for i in order) for row in rows[1:])
    return {(relation, key): {} for key in keys}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(
    workdir: Path,
    raw_dir: Path,
    target: str,
    data_tests: bool,
    extra_vars: dict[str, Any] | None = None,
    more: list[str] | None = None,
    artifacts: bool = False,
    exclude: list[str] | None = None,
) -> DbtRun:
    """One `dbt build` of the seeds and the tag marts with their parents on a target,
    with the data tests whose parents are all built when data_tests is set. Unit
    tests run on DuckDB only: the value mart's mock the DuckDB-only fit model.
    extra_vars: SMALL_DATA_VARS (the CLV fits off) unless given; more: more
    nodes to select; artifacts: write run_results.json (run_dbt); exclude: nodes
    left out."""
    resource_types = ["seed", "model", *(["test"] if data_tests else [])]
    # The data tests read every seed (the tag registry binds the tag values).
    seeds = ["resource_type:seed"] if data_tests else []
    run = run_dbt(
        [
            "build",
            *SELECTION,
            *(more or []),
            *seeds,
            *(["--exclude", *exclude] if exclude else []),
            "--resource-type",
            *resource_types,
            "--indirect-selection",
            "cautious",
            "--target",
            target,
        ],
        workdir,
        raw_dir,
        extra_vars=SMALL_DATA_VARS if extra_vars is None else extra_vars,
        artifacts=artifacts,
    )
    assert run.success, f"dbt build on {target} failed:\n{run.log}"
    return run


@pytest.fixture(scope="module")
def engine_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~400 customers with 5 % planted dirt, as CSV (the loader's harder path)."""
    raw_dir = tmp_path_factory.mktemp("engine_raw")
    generated_raw(raw_dir, customers=400, seed=11, dirty_rate=0.05, fmt="csv")
    return raw_dir


@pytest.fixture(scope="module")
def duckdb_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine_duckdb")


@pytest.fixture(scope="module")
def duckdb_tags(duckdb_workdir: Path, engine_raw_dir: Path) -> Tags:
    run = build(duckdb_workdir, engine_raw_dir, "duckdb", False, CLV_VARS, PRODUCT)
    tags: Tags = {}
    for relation, sql in queries().items():
        tags |= as_tags(relation, run.query(sql))
    with duckdb.connect(str(run.db_path), read_only=True) as con:
        for relation in FITTED_TABLES:
            tags |= as_whole_rows(relation, table_rows(con.cursor(), relation))
    return tags


@pytest.fixture(scope="module")
def postgres_env() -> Iterator[engines.PostgresSettings]:
    """A throw-away cluster on a free port, started by the project's own code."""
    base = Path(tempfile.mkdtemp(prefix="tw_pg_"))
    base.chmod(0o755)  # the server runs as the postgres OS user when we are root
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAREHOUSE_PG_DIR", str(base))
        patch.setenv("WAREHOUSE_PG_PORT", str(free_port()))
        settings = engines.PostgresSettings.from_env()
        engines.postgres_start(settings)
        try:
            yield settings
        finally:
            engines.postgres_stop(settings)
            shutil.rmtree(base, ignore_errors=True)


def fit_client_side(workdir: Path, raw_dir: Path, target: str) -> None:
    """The documented order (docs/engines.md) before an engine's build: the
    grouped CLV summaries, then the client-side fit step, so the build (and its
    history) holds the fitted ltv and churn_risk of the day."""
    grouped = run_dbt(
        [
            "build",
            "--select",
            *CLV_INPUTS,
            "--resource-type",
            "seed",
            "model",
            "--target",
            target,
        ],
        workdir,
        raw_dir,
        extra_vars=CLV_VARS,
    )
    assert grouped.success, grouped.log
    fit(workdir, raw_dir, target, grouped)


def fit(workdir: Path, raw_dir: Path, target: str, summaries: DbtRun) -> None:
    """The client-side fit step, in dbt's target folder of the build that made the
    grouped summaries (its parse is reused); both fits must succeed."""
    dbt_vars = {"as_of_date": AS_OF, "raw_data_path": str(raw_dir)}
    fitted = fit_on_engine(
        target,
        json.dumps(dbt_vars),
        ["--target-path", str(summaries.target_path), "--log-path", str(workdir)],
    )
    assert set(fitted.table["status"]) == {"fitted"}, target
    assert set(fitted.table["fit"]) == {"scoring", "backtest"}, target


@pytest.fixture(scope="module")
def postgres_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine_postgres")


@pytest.fixture(scope="module")
def postgres_tags(
    postgres_workdir: Path,
    engine_raw_dir: Path,
    postgres_env: engines.PostgresSettings,
) -> Tags:
    engines.load("postgres", engine_raw_dir)
    workdir = postgres_workdir
    fit_client_side(workdir, engine_raw_dir, "postgres")
    # Data tests too: they are portable SQL and fast on PostgreSQL.
    run = build(
        workdir, engine_raw_dir, "postgres", True, CLV_VARS, PRODUCT, artifacts=True
    )
    results = json.loads((run.target_path / "run_results.json").read_text())
    passed_tests = {
        result["unique_id"]
        for result in results["results"]
        if result["unique_id"].startswith("test.") and result["status"] == "pass"
    }
    assert len(passed_tests) > 200, "the data tests did not run on PostgreSQL"
    # The series' remainder bound was computed and tested on PostgreSQL.
    assert any("clv_series_remainder_small" in test for test in passed_tests)
    tags: Tags = {}
    connection = postgres_env.connect()
    try:
        with connection.cursor() as cursor:
            for relation, sql in queries().items():
                cursor.execute(sql)
                tags |= as_tags(relation, cursor.fetchall())
            for relation in FITTED_TABLES:
                tags |= as_whole_rows(relation, table_rows(cursor, relation))
    finally:
        connection.close()
    return tags


@pytest.fixture(scope="module")
def spark_loading(
    tmp_path_factory: pytest.TempPathFactory, engine_raw_dir: Path
) -> Iterator[Future[None]]:
    """Start Spark and load the raw tables in a background thread, so the JVM start
    and the load overlap the DuckDB and PostgreSQL builds. Loader and dbt share this
    process's SparkSession (one JVM start)."""
    spark_dir = tmp_path_factory.mktemp("engine_spark")
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(1) as pool:
        patch.setenv("WAREHOUSE_SPARK_DIR", str(spark_dir))
        loaded = pool.submit(engines.load, "spark", engine_raw_dir)
        try:
            yield loaded
        finally:
            if loaded.exception() is None:  # waits; then the session exists
                engines.spark_session().stop()


@pytest.fixture(scope="module")
def spark_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine_spark_dbt")


@pytest.fixture(scope="module")
def spark_tags(
    spark_workdir: Path, engine_raw_dir: Path, spark_loading: Future[None]
) -> Tags:
    """The product on Spark, with the fit step in a scheduled run's order
    (orchestration/assets.py): everything but the fit's readers (the grouped
    summaries among it), the fit, then the readers and everything downstream of
    them, each node built once (PostgreSQL follows the documented commands,
    fit_client_side). No data tests: hundreds of small Spark jobs would take
    minutes."""
    spark_loading.result()
    workdir, raw_dir = spark_workdir, engine_raw_dir
    before_fit = [*PRODUCT, *CLV_INPUTS]
    summaries = build(
        workdir, raw_dir, "spark", False, CLV_VARS, before_fit, exclude=AFTER_FIT
    )
    fit(workdir, raw_dir, "spark", summaries)
    after_fit = run_dbt(
        ["build", "--select", *AFTER_FIT, "--resource-type", "seed", "model"]
        + ["--target", "spark"],
        workdir,
        raw_dir,
        extra_vars=CLV_VARS,
    )
    assert after_fit.success, (
        f"dbt build after the fit on Spark failed:\n{after_fit.log}"
    )
    tags: Tags = {}
    spark = engines.spark_session()
    for relation, sql in queries().items():
        tags |= as_tags(relation, spark.sql(sql).collect())
    for relation in FITTED_TABLES:
        tags |= as_whole_rows(relation, spark_table_rows(spark, relation))
    return tags


def build_later_dates(workdir: Path, raw_dir: Path, target: str) -> None:
    """The two builds after AS_OF's, in LATER_BUILDS order (out of date order)."""
    for as_of in LATER_BUILDS:
        run = run_dbt(
            [
                "build",
                *SELECTION,
                *PRODUCT,
                "--resource-type",
                "seed",
                "model",
                "--target",
                target,
            ],
            workdir,
            raw_dir,
            as_of=as_of,
            extra_vars=SMALL_DATA_VARS,
        )
        assert run.success, f"dbt build of {as_of} on {target} failed:\n{run.log}"


def as_text(value: Any) -> str:
    """A value as text, numbers to 9 significant digits (the engines' doubles and
    decimals print differently)."""
    if isinstance(value, float | Decimal):
        return f"{float(value):.9g}"
    return str(value)


def table_rows(cursor: Any, relation: str) -> Rows:
    """A relation's rows (build-time columns left out), sorted, as text; the first
    tuple holds the column names. cursor: a DB-API cursor of DuckDB or PostgreSQL."""
    cursor.execute(f"select * from {relation}")
    names = [column[0] for column in cursor.description]
    return as_rows(names, cursor.fetchall())


def spark_table_rows(spark: Any, relation: str) -> Rows:
    """table_rows of a Spark relation (a SparkSession has no DB-API cursor)."""
    frame = spark.sql(f"select * from {relation}")
    return as_rows(frame.columns, frame.collect())


def as_rows(names: list[str], rows: list[Any]) -> Rows:
    kept = [index for index, name in enumerate(names) if name not in BUILD_TIME_COLUMNS]
    text = sorted(tuple(as_text(row[index]) for index in kept) for row in rows)
    return [tuple(names[index] for index in kept), *text]


@pytest.fixture(scope="module")
def duckdb_product(
    duckdb_tags: Tags, duckdb_workdir: Path, engine_raw_dir: Path
) -> dict[str, Rows]:
    """After the marts are read: two more builds, then every consumer table."""
    build_later_dates(duckdb_workdir, engine_raw_dir, "duckdb")
    with duckdb.connect(
        str(duckdb_workdir / "warehouse.duckdb"), read_only=True
    ) as con:
        return {
            relation: table_rows(con.cursor(), relation) for relation in PRODUCT_TABLES
        }


@pytest.fixture(scope="module")
def postgres_product(
    postgres_tags: Tags,
    postgres_workdir: Path,
    engine_raw_dir: Path,
    postgres_env: engines.PostgresSettings,
) -> dict[str, Rows]:
    build_later_dates(postgres_workdir, engine_raw_dir, "postgres")
    connection = postgres_env.connect()
    try:
        with connection.cursor() as cursor:
            return {
                relation: table_rows(cursor, relation) for relation in PRODUCT_TABLES
            }
    finally:
        connection.close()


@pytest.fixture(scope="module")
def spark_product(
    spark_tags: Tags, spark_workdir: Path, engine_raw_dir: Path
) -> dict[str, Rows]:
    build_later_dates(spark_workdir, engine_raw_dir, "spark")
    spark = engines.spark_session()
    return {relation: spark_table_rows(spark, relation) for relation in PRODUCT_TABLES}


def differences(expected: Tags, actual: Tags) -> list[str]:
    lines = []
    for key in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(key), actual.get(key)
        if want is None or got is None:
            lines.append(f"{key}: only on {'the engine' if want is None else 'DuckDB'}")
            continue
        lines += [
            f"{key} {tag}: duckdb {want[tag]!r}, engine {got[tag]!r}"
            for tag in want
            if want[tag] != got[tag]
        ]
    return lines


def test_engines_share_the_raw_contract() -> None:
    """The loader checks the same columns as the dbt hook (raw_contract.sql)."""
    text = (ROOT / "macros" / "raw" / "raw_contract.sql").read_text(encoding="utf-8")
    for table, columns in engines.RAW_CONTRACT.items():
        quoted = ", ".join(f'"{column}"' for column in columns)
        assert f'"{table}": [' in text
        assert " ".join(quoted.split()) in " ".join(text.split()), table


def test_postgres_tags_equal_duckdb(
    spark_loading: Future[None], duckdb_tags: Tags, postgres_tags: Tags
) -> None:
    """(spark_loading first: Spark starts while DuckDB and PostgreSQL build.)"""
    customers = [key for key in duckdb_tags if key[0].startswith("marts.customer")]
    assert len(customers) == 6 * 400
    # ltv and churn_risk are fitted and compared (not all unknown).
    value = [row for key, row in duckdb_tags.items() if "tags_value" in key[0]]
    for tag in CLV_TAGS:
        assert {row[tag] for row in value} - {"unknown"}, tag
    # The CLV backtest of the fitted build is compared too, every model fitted.
    quality = [key[1] for key in duckdb_tags if key[0] == "marts.clv_model_quality"]
    assert len(quality) > 3 and all("status=fitted" in row for row in quality)
    assert differences(duckdb_tags, postgres_tags) == []


def test_postgres_product_equals_duckdb(
    duckdb_product: dict[str, Rows], postgres_product: dict[str, Rows]
) -> None:
    """After three builds out of date order (AS_OF, AS_OF - 120, AS_OF - 20): the
    CRM long table with its reasons, the profile, the history, the change log, the
    health and backtest tables and the audiences are the same on PostgreSQL."""
    history = duckdb_product["marts.customer_tag_changes"]
    assert len(history) > 1, "no tag changed between the three builds"
    backtest = duckdb_product["marts.tag_outcome_backtest"]
    assert len(backtest) > 1, "the backtest found no build a horizon back"
    assert_same_product(duckdb_product, postgres_product)


def assert_same_product(
    duckdb_product: dict[str, Rows], engine_product: dict[str, Rows]
) -> None:
    for relation in PRODUCT_TABLES:
        want, got = duckdb_product[relation], engine_product[relation]
        assert want[0] == got[0], f"{relation}: other columns"
        only_duckdb = sorted(set(want[1:]) - set(got[1:]))[:5]
        only_engine = sorted(set(got[1:]) - set(want[1:]))[:5]
        assert (only_duckdb, only_engine) == ([], []), relation
        assert len(want) == len(got), relation


def test_parsers_agree_on_every_engine(
    tmp_path: Path,
    engine_raw_dir: Path,
    postgres_env: engines.PostgresSettings,
    spark_loading: Future[None],
) -> None:
    """Every parser gives every spelling the same value on each engine, under the
    default vars and the other settings (no build needed: `dbt show`). After the
    PostgreSQL tests: Spark's start and load overlap their builds."""
    spark_loading.result()
    on_duckdb = parsed_inputs(tmp_path / "duckdb", engine_raw_dir, "duckdb")
    assert len(on_duckdb) == len(PARSER_SETTINGS) * len(PARSER_INPUTS)
    for target in ["postgres", "spark"]:
        parsed = parsed_inputs(tmp_path / target, engine_raw_dir, target)
        assert differences(on_duckdb, parsed) == [], target


def test_spark_tags_equal_duckdb(duckdb_tags: Tags, spark_tags: Tags) -> None:
    """Every tag, ltv and churn_risk with them, and the fitted build's CLV
    backtest, as on DuckDB."""
    assert differences(duckdb_tags, spark_tags) == []


def test_spark_product_equals_duckdb(
    duckdb_product: dict[str, Rows], spark_product: dict[str, Rows]
) -> None:
    """The PostgreSQL comparison's three builds and tables, on Spark (whose
    partitioned tables hold their partition column, as_of_date, last)."""
    in_duckdb_order = {
        relation: in_column_order(rows, duckdb_product[relation][0])
        for relation, rows in spark_product.items()
    }
    assert_same_product(duckdb_product, in_duckdb_order)


def in_column_order(rows: Rows, names: tuple[str, ...]) -> Rows:
    """rows with their columns in the order of names, when they have those."""
    if sorted(rows[0]) != sorted(names):
        return rows
    positions = [rows[0].index(name) for name in names]
    return [tuple(row[index] for index in positions) for row in rows]


def test_loader_names_a_missing_column(tmp_path: Path, engine_raw_dir: Path) -> None:
    for source in engine_raw_dir.iterdir():
        shutil.copy(source, tmp_path / source.name)
    orders = tmp_path / "orders.csv"
    header, rest = orders.read_text(encoding="utf-8").split("\n", 1)
    orders.write_text(header.replace("cost", "kost") + "\n" + rest, encoding="utf-8")
    with pytest.raises(engines.EngineError, match=r"orders.csv is missing .*: cost"):
        engines.find_raw_files(tmp_path)
    os.remove(orders)
    with pytest.raises(engines.EngineError, match="Raw file missing: expected"):
        engines.find_raw_files(tmp_path)
