"""Other engines than DuckDB: a local PostgreSQL server, a local Spark, and the loader
that puts the raw files into their `raw` schema (scripts/engines.py is the CLI).

Every setting is an environment variable with a default, read by profiles.yml too:

    WAREHOUSE_PG_HOST / _PORT / _USER / _PASSWORD / _DBNAME   the dbt connection
    WAREHOUSE_PG_DIR     where `postgres start` keeps its cluster (.engines/postgres)
    WAREHOUSE_SPARK_DIR  Spark's warehouse and metastore (.engines/spark)
    WAREHOUSE_TIMEZONE   session time zone of both engines (UTC)

The raw files are read through the dbt hook register_raw_sources itself (run against a
temporary DuckDB file): every contract column as text, _source_file, _source_row,
_source_lines and _raw_line, so the text every engine parses is byte-identical and the
CSV options are one list.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
# The raw input contract, as macros/raw/raw_contract.sql (tests check they agree).
RAW_CONTRACT: dict[str, list[str]] = {
    "customers": [
        "customer_id", "customer_name", "customer_type", "industry",
        "employee_count", "province", "city", "phone", "email",
        "decision_role", "created_at", "updated_at",
    ],
    "orders": [
        "order_id", "customer_id", "order_date", "product_category", "amount",
        "cost", "promotion_id", "status", "updated_at",
    ],
    "promotions": [
        "promotion_id", "promotion_name", "promotion_type", "start_date",
        "end_date", "discount_rate",
    ],
    "service_interactions": [
        "interaction_id", "customer_id", "occurred_at", "channel",
        "interaction_type", "satisfaction",
    ],
}  # fmt: skip
CSV_ENCODINGS = ("utf-8", "utf-16", "latin-1")
CSV_DELIMITERS = (",", ";", "tab")
# Debian packages: the server, and a JDK for Spark (with a file each one installs).
POSTGRES_PACKAGES = ("postgresql",)
JDK_PACKAGES = ("default-jdk-headless",)


class EngineError(Exception):
    """A problem the user can fix (the CLI prints it without a traceback)."""


def say(message: str) -> None:
    print(f"[engines] {message}", flush=True)


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


# ---- apt ---------------------------------------------------------------------------


def apt_install(packages: Sequence[str], reason: str) -> None:
    """Install Debian packages with apt-get (root only), or explain what is missing."""
    if not Path("/usr/bin/apt-get").exists() or os.geteuid() != 0:
        raise EngineError(
            f"{reason} needs the Debian package(s) {', '.join(packages)}: install them"
            f" (sudo apt-get install {' '.join(packages)}) or run this as root."
        )
    say(f"installing {', '.join(packages)} ({reason}) with apt-get")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
    ):
        if subprocess.call(command, env=environment) != 0:
            raise EngineError(f"apt-get failed installing {', '.join(packages)}")


# ---- PostgreSQL --------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    user: str
    password: str
    dbname: str
    base_dir: Path

    @classmethod
    def from_env(cls) -> PostgresSettings:
        port = env("WAREHOUSE_PG_PORT", "54329")
        if not port.isdigit():
            raise EngineError(f"WAREHOUSE_PG_PORT must be a port number, got {port!r}")
        base = Path(env("WAREHOUSE_PG_DIR", str(ROOT / ".engines" / "postgres")))
        return cls(
            host=env("WAREHOUSE_PG_HOST", "localhost"),
            port=int(port),
            user=env("WAREHOUSE_PG_USER", "warehouse"),
            password=env("WAREHOUSE_PG_PASSWORD", "warehouse"),
            dbname=env("WAREHOUSE_PG_DBNAME", "warehouse"),
            base_dir=base.resolve(),
        )

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "run"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "postgres.log"

    def connect(self, admin: bool = False) -> Any:
        """A psycopg2 connection: as the superuser over the cluster's own socket
        (admin), else as the warehouse role over TCP, like dbt."""
        import psycopg2

        if admin:
            return psycopg2.connect(
                host=str(self.socket_dir), port=self.port, user="postgres",
                dbname="postgres",
            )  # fmt: skip
        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user,
            password=self.password, dbname=self.dbname,
        )  # fmt: skip

    def connect_or_explain(self) -> Any:
        """connect() as the warehouse role, or an EngineError saying where it
        could not connect and how to start the local server."""
        try:
            return self.connect()
        except Exception as error:  # psycopg2.OperationalError, without importing it
            raise EngineError(
                f"cannot connect to postgres at {self.host}:{self.port} as"
                f" {self.user}: {str(error).strip()}. Start it with:"
                " python scripts/engines.py postgres start"
            ) from error


def postgres_bin_dir(install: bool = True) -> Path:
    """Directory of initdb and pg_ctl (Debian keeps them off PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: (
            int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    if not install:
        raise EngineError("PostgreSQL is not installed (no initdb found)")
    apt_install(POSTGRES_PACKAGES, "the PostgreSQL engine")
    return postgres_bin_dir(install=False)


def _as_server_user(command: Sequence[str | Path]) -> list[str]:
    """PostgreSQL refuses to run as root: run as the `postgres` OS user then."""
    parts = [str(part) for part in command]
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *parts]
    return parts


def _run_server_command(command: Sequence[str | Path], what: str) -> str:
    result = subprocess.run(
        _as_server_user(command), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise EngineError(f"{what} failed:\n{result.stdout}{result.stderr}".rstrip())
    return result.stdout


def postgres_is_running(settings: PostgresSettings) -> bool:
    if not (settings.data_dir / "PG_VERSION").exists():
        return False
    command = [postgres_bin_dir(install=False) / "pg_ctl", "status", "-D"]
    result = subprocess.run(
        _as_server_user([*command, settings.data_dir]),
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def postgres_start(settings: PostgresSettings) -> None:
    """initdb (first time), start on localhost:port, create the role and database.
    Idempotent: a running cluster is left running, an existing role gets the
    password of the environment."""
    bin_dir = postgres_bin_dir()
    settings.base_dir.mkdir(parents=True, exist_ok=True)
    settings.socket_dir.mkdir(parents=True, exist_ok=True)
    if len(str(settings.socket_dir)) > 90:
        raise EngineError(
            f"WAREHOUSE_PG_DIR {settings.base_dir} is too long for a Unix socket path:"
            " choose a shorter directory"
        )
    if os.geteuid() == 0:
        # The server runs as `postgres`: it owns its directory and must reach it.
        shutil.chown(settings.base_dir, "postgres", "postgres")
        shutil.chown(settings.socket_dir, "postgres", "postgres")
        for parent in settings.base_dir.parents:
            if parent.stat().st_mode & 0o001 == 0:
                raise EngineError(
                    f"the postgres OS user cannot enter {parent} (mode"
                    f" {oct(parent.stat().st_mode & 0o777)}): set WAREHOUSE_PG_DIR to"
                    " a directory it can reach"
                )
    if not (settings.data_dir / "PG_VERSION").exists():
        say(f"initdb {settings.data_dir}")
        _run_server_command(
            [
                bin_dir / "initdb", "-D", settings.data_dir, "-U", "postgres",
                "--auth-local=trust", "--auth-host=scram-sha-256",
                "--encoding=UTF8", "--locale=C.UTF-8",
            ],
            "initdb",
        )  # fmt: skip
    if postgres_is_running(settings):
        say(f"postgres already running ({settings.data_dir})")
    else:
        say(f"starting postgres on localhost:{settings.port}")
        options = (
            f"-p {settings.port} -c listen_addresses=localhost"
            f" -c unix_socket_directories={settings.socket_dir}"
            " -c unix_socket_permissions=0700 -c fsync=off"
            " -c full_page_writes=off -c synchronous_commit=off"
        )
        _run_server_command(
            [
                bin_dir / "pg_ctl", "start", "-D", settings.data_dir, "-w",
                "-t", "60", "-l", settings.log_file, "-o", options,
            ],
            f"pg_ctl start (see {settings.log_file})",
        )  # fmt: skip
    _ensure_role_and_database(settings)
    say(f"postgres ready: {settings.user}@localhost:{settings.port}/{settings.dbname}")


def _ensure_role_and_database(settings: PostgresSettings) -> None:
    from psycopg2 import sql

    timezone = env("WAREHOUSE_TIMEZONE", "UTC")
    connection = settings.connect(admin=True)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            role = sql.Identifier(settings.user)
            cursor.execute("select 1 from pg_roles where rolname = %s", [settings.user])
            verb = "alter" if cursor.fetchone() else "create"
            cursor.execute(
                sql.SQL(verb + " role {} login password {}").format(
                    role, sql.Literal(settings.password)
                )
            )
            cursor.execute(
                "select 1 from pg_database where datname = %s", [settings.dbname]
            )
            database = sql.Identifier(settings.dbname)
            if cursor.fetchone() is None:
                say(f"creating database {settings.dbname}")
                cursor.execute(
                    sql.SQL("create database {} owner {}").format(database, role)
                )
            # Parsed timestamps are converted to this zone, as on DuckDB.
            cursor.execute(
                sql.SQL("alter database {} set timezone to {}").format(
                    database, sql.Literal(timezone)
                )
            )
    finally:
        connection.close()


def postgres_stop(settings: PostgresSettings) -> None:
    if not postgres_is_running(settings):
        say("postgres is not running")
        return
    bin_dir = postgres_bin_dir(install=False)
    _run_server_command(
        [bin_dir / "pg_ctl", "stop", "-D", settings.data_dir, "-m", "fast", "-w"],
        "pg_ctl stop",
    )
    say("postgres stopped")


def postgres_status(settings: PostgresSettings) -> bool:
    running = postgres_is_running(settings)
    state = "running" if running else "not running"
    say(f"postgres {state} (cluster {settings.data_dir}, port {settings.port})")
    return running


# ---- Spark -------------------------------------------------------------------------


def ensure_java() -> None:
    """Spark needs a JVM: install Debian's JDK when `java` is missing."""
    if shutil.which("java"):
        return
    apt_install(JDK_PACKAGES, "the Spark engine")
    if not shutil.which("java"):
        raise EngineError("java is still not on PATH after installing a JDK")


def spark_dir() -> Path:
    """WAREHOUSE_SPARK_DIR, relative to the working directory like in profiles.yml
    (every documented command runs from the project root)."""
    return Path(env("WAREHOUSE_SPARK_DIR", ".engines/spark")).resolve()


# The driver JVM's options for local mode on small data: the quick (C1) JIT
# compiler only and the serial collector. A local build is minutes of short Spark
# jobs, over before C2's optimised code pays for compiling it; on the test data
# these cut the JVM's CPU by a quarter to a third (docs/engines.md). C1 alone
# reserves 48 MB for compiled code, which Spark's generated classes fill within a
# build: the JVM then stops compiling and interprets the rest of the run ("CodeCache
# is full. Compiler has been disabled"), so the cache gets the 240 MB tiered
# compilation reserves. Longer runs: WAREHOUSE_SPARK_JAVA_OPTIONS (empty = the
# JVM's defaults).
SPARK_JAVA_OPTIONS = (
    "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=240m"
)


def spark_settings(base: Path | None = None) -> dict[str, str]:
    """The SparkSession settings, the same as the `spark` output of profiles.yml
    builds from the same environment variables: warehouse and Derby metastore
    inside WAREHOUSE_SPARK_DIR, local mode, UTC."""
    base = base or spark_dir()
    timezone = env("WAREHOUSE_TIMEZONE", "UTC")
    return {
        "spark.master": "local[2]",
        "spark.sql.warehouse.dir": str(base / "warehouse"),
        # Relative to derby.system.home: the same database from any directory.
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            "jdbc:derby:;databaseName=metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={base} -Duser.timezone={timezone} "
            # set but empty: the JVM's defaults, as dbt's env_var reads it
            + os.environ.get("WAREHOUSE_SPARK_JAVA_OPTIONS", SPARK_JAVA_OPTIONS)
        ),
        "spark.sql.session.timeZone": timezone,
        "spark.sql.shuffle.partitions": env("WAREHOUSE_SPARK_SHUFFLE_PARTITIONS", "1"),
        "spark.sql.adaptive.enabled": env("WAREHOUSE_SPARK_ADAPTIVE", "false"),
        "spark.driver.memory": env("WAREHOUSE_SPARK_DRIVER_MEMORY", "1g"),
        "spark.ui.enabled": "false",
    }


def spark_session(settings: Mapping[str, str] | None = None) -> Any:
    """The process's SparkSession (dbt-spark's `session` method reuses it)."""
    from pyspark.sql import SparkSession

    ensure_java()
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in (settings or spark_settings()).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


# ---- Loading the raw files ---------------------------------------------------------


@dataclass(frozen=True)
class RawFile:
    table: str
    path: str  # as the dbt hook names it (its _source_file)
    select_sql: str  # DuckDB: every contract column as text, _source_file/_row/...
    database: Path  # the DuckDB file holding the hook's raw views


def raw_file_path(directory: str, table: str) -> str:
    """The file the hook reads for a table (Parquet wins), for messages."""
    parquet = f"{directory}/{table}.parquet"
    return parquet if Path(parquet).is_file() else f"{directory}/{table}.csv"


def macros_only_project(directory: Path, root: Path = ROOT) -> Path:
    """The project's settings and macros without its models, seeds, snapshots and
    tests, at directory (created): enough for a dbt command that only calls macros
    (`run-operation`, `show --inline`, which run no on-run-start hook), and parsed
    in a second or two instead of the whole project's ten."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copyfile(root / name, directory / name)
    shutil.copytree(root / "macros", directory / "macros", dirs_exist_ok=True)
    return directory


def register_raw_views(
    raw_dir: str, csv_encoding: str, csv_delimiter: str, database: Path
) -> None:
    """Run the dbt hook register_raw_sources against a DuckDB file: its views
    raw.<table> are the raw files exactly as a DuckDB build reads them (the CSV
    options, line numbers and bad_csv_line rows live in the hook alone). dbt runs
    in a child process: a dbt build may be running in this one (the tests load
    Spark in a thread while DuckDB builds), and dbt is not re-entrant. It runs on
    a macros-only copy of the project (macros_only_project): the hook needs no
    model."""
    project = macros_only_project(database.parent / "project")
    variables = {
        "raw_data_path": raw_dir,
        "raw_schema": "raw",
        "raw_csv_encoding": csv_encoding,
        "raw_csv_delimiter": csv_delimiter,
    }
    command = [
        sys.executable,
        "-c",
        "from dbt.cli.main import cli; cli()",
        "run-operation",
        "register_raw_sources",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target",
        "duckdb",
        "--target-path",
        str(database.parent / "target"),
        "--log-path",
        str(database.parent / "logs"),
        "--vars",
        json.dumps(variables),
        "--no-use-colors",
    ]
    environment = {
        **os.environ,
        "WAREHOUSE_DB": str(database),
        "WAREHOUSE_TEMP_DIR": str(database.parent / "duckdb_tmp"),
    }
    done = subprocess.run(
        command, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()
        raise EngineError(
            f"cannot read the raw files of {raw_dir}:\n" + "\n".join(output[-20:])
        )


def find_raw_files(
    raw_dir: Path | str,
    csv_encoding: str = "utf-8",
    csv_delimiter: str = ",",
    database: Path | None = None,
) -> list[RawFile]:
    """Each contract table's file in raw_dir (Parquet wins over CSV) and the DuckDB
    query reading it: the view the dbt hook register_raw_sources creates, in
    `database` (a new temporary file when not given)."""
    if csv_encoding not in CSV_ENCODINGS:
        raise EngineError(f"--csv-encoding must be one of {', '.join(CSV_ENCODINGS)}")
    if csv_delimiter not in CSV_DELIMITERS:
        raise EngineError(f"--csv-delimiter must be one of {', '.join(CSV_DELIMITERS)}")
    directory = str(raw_dir).rstrip("/")
    if not Path(directory).is_dir():
        raise EngineError(f"raw directory {directory} does not exist")
    if database is None:
        database = (
            Path(tempfile.mkdtemp(prefix="tag_warehouse_raw_")) / "raw_views.duckdb"
        )
    register_raw_views(directory, csv_encoding, csv_delimiter, database)
    return [
        RawFile(
            table,
            raw_file_path(directory, table),
            # the text columns only: a typed Parquet column is also in the view
            # as _typed_<column> (DuckDB staging reads it); engines load text
            f"select columns(lambda c: not starts_with(c, '_typed_')) from raw.{table}",
            database,
        )
        for table in RAW_CONTRACT
    ]


def load_postgres(files: Sequence[RawFile], schema: str = "raw") -> None:
    """Replace <schema>.<table> by each file: text columns, COPY in bulk."""
    from psycopg2 import sql

    connection = PostgresSettings.from_env().connect_or_explain()
    with tempfile.TemporaryDirectory(prefix="tag_warehouse_load_") as tmp:
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL("create schema if not exists {}").format(
                        sql.Identifier(schema)
                    )
                )
                for raw in files:
                    csv_path = Path(tmp) / f"{raw.table}.csv"
                    with duckdb.connect(str(raw.database), read_only=True) as con:
                        # NULL unquoted, '' quoted: COPY ... csv keeps them apart.
                        con.execute(
                            f"copy ({raw.select_sql}) to '{csv_path}'"
                            " (header false, force_quote *)"
                        )
                    target = sql.Identifier(schema, raw.table)
                    columns = [*RAW_CONTRACT[raw.table], "_source_file"]
                    definition = sql.SQL(", ").join(
                        [sql.SQL("{} text").format(sql.Identifier(c)) for c in columns]
                        + [
                            sql.SQL("_source_row bigint"),
                            sql.SQL("_source_lines bigint"),
                            sql.SQL("_raw_line text"),
                        ]
                    )
                    cursor.execute(
                        sql.SQL("drop table if exists {} cascade").format(target)
                    )
                    cursor.execute(
                        sql.SQL("create table {} ({})").format(target, definition)
                    )
                    with csv_path.open(encoding="utf-8") as handle:
                        cursor.copy_expert(
                            sql.SQL("copy {} from stdin with (format csv)")
                            .format(target)
                            .as_string(connection),
                            handle,
                        )
                    cursor.execute(sql.SQL("analyze {}").format(target))
                    say(f"postgres {schema}.{raw.table} <- {raw.path}")
        finally:
            connection.close()


def load_spark(files: Sequence[RawFile], schema: str = "raw") -> None:
    """Replace <schema>.<table> by each file in Spark's warehouse (Parquet tables)."""
    spark = spark_session()
    spark.sql(f"create database if not exists {schema}")
    with tempfile.TemporaryDirectory(prefix="tag_warehouse_load_") as tmp:
        for raw in files:
            parquet = Path(tmp) / f"{raw.table}.parquet"
            with duckdb.connect(str(raw.database), read_only=True) as con:
                con.execute(f"copy ({raw.select_sql}) to '{parquet}' (format parquet)")
            frame = spark.read.parquet(str(parquet))
            spark.sql(f"drop table if exists {schema}.{raw.table}")
            frame.write.format("parquet").mode("overwrite").saveAsTable(
                f"{schema}.{raw.table}"
            )
            say(f"spark {schema}.{raw.table} <- {raw.path}")


def load(
    target: str,
    raw_dir: Path | str,
    csv_encoding: str = "utf-8",
    csv_delimiter: str = ",",
) -> None:
    started = time.monotonic()
    if target not in ("postgres", "spark"):
        raise EngineError(f"unknown target {target!r}: postgres or spark")
    schema = env("WAREHOUSE_RAW_SCHEMA", "raw")
    with tempfile.TemporaryDirectory(prefix="tag_warehouse_raw_") as views:
        files = find_raw_files(
            raw_dir, csv_encoding, csv_delimiter, Path(views) / "raw_views.duckdb"
        )
        if target == "postgres":
            load_postgres(files, schema)
        else:
            load_spark(files, schema)
    elapsed = time.monotonic() - started
    say(f"loaded {len(files)} raw tables into {target} in {elapsed:.1f}s")
