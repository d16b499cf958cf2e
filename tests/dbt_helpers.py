"""Run dbt in-process (dbtRunner) against a throw-away DuckDB file, and read it back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import pprint
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner
from dbt.contracts.files import FileHash
from dbt.parser.manifest import ManifestLoader
from dbt.version import __version__ as dbt_version

from tag_warehouse.devtools.generate import Format, generate, write

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
AS_OF = "2026-06-30"
# The hand-planted fixtures hold a handful of customers: far too few to fit the
# CLV models, so their builds skip the LTV and MBG/NBD fits (ltv, churn_risk =
# unknown).
SMALL_DATA_VARS = {"ltv_enabled": False, "churn_risk_enabled": False}
# For builds whose tests only look at the outputs (the data and unit tests run in
# the session builds dirty_build and demo_build): seeds and models.
MODELS_ONLY = ["--exclude", "resource_type:test", "resource_type:unit_test"]
# For builds whose data tests check the data (bad or odd input): the unit tests
# read fixed mock rows, never the raw files, and run in the session builds.
WITHOUT_UNIT_TESTS = ["--exclude", "resource_type:unit_test"]
# Where run_dbt keeps one parsed project (dbt's partial_parse.msgpack) per set of
# vars, shared by the xdist workers (tests/conftest.py sets it for the session).
PARSE_CACHE_ENV = "TAG_WAREHOUSE_TEST_PARSE_CACHE"
# Vars that only the SQL run by dbt reads, never the parsed project (no config,
# no test severity, no python model config reads them; tests/test_run_time_vars.py
# proves it): builds that differ only in these share a parse, whatever their date.
RUN_TIME_ONLY_VARS = frozenset({"as_of_date", "raw_data_path", "tag_overrides_path"})
# The vars of the parse that runs stopping at the on-run-start var check reuse
# (run_dbt(..., stops_at_var_check=True)): the dirty fixture's, which the session
# parses first. The check's hook is compiled when it runs, with the run's own vars.
VAR_CHECK_PARSE_VARS: dict[str, Any] = {"as_of_date": AS_OF, **SMALL_DATA_VARS}
# Set while a run that reuses another parse is in progress (see the state check).
_reused_parse_vars: dict[str, Any] | None = None
# Projects made by copy_project in this process: their runs start from the
# project's own saved parse, so dbt parses only the files the test changed.
_copies: set[Path] = set()


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
    project_dir: Path = ROOT,
    *,
    unit_tests: bool = False,
    stops_at_var_check: bool = False,
    artifacts: bool = False,
) -> DbtRun:
    """Run `dbt <command>` on the project (or a copy of it at project_dir), its
    DuckDB file and target in workdir.

    A `build` leaves out the unit tests unless unit_tests is set: they do not read
    the data, so the session's dirty_build (tests/conftest.py) runs them once.
    stops_at_var_check: the run must stop at the on-run-start check of the vars;
    it reuses the session's parse of VAR_CHECK_PARSE_VARS rather than parsing the
    project for vars no model is built with (and never saves its own parse).
    artifacts: write dbt's JSON artifacts (manifest.json, run_results.json,
    semantic_manifest.json, sources.json, ...) to the target folder; the runs
    whose tests read none skip them (a second or more of CPU per run, several
    for a build with every data test, of a suite bound by CPU)."""
    global _reused_parse_vars
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
    if command[0] == "build" and not unit_tests and not _excludes_unit_tests(command):
        command = [*command, "--exclude", "resource_type:unit_test"]
    parse_vars = (
        {"raw_data_path": str(raw_dir), **VAR_CHECK_PARSE_VARS}
        if stops_at_var_check
        else variables
    )
    parse_cache = cached_parse(parse_vars, command, target_path, project_dir)
    messages: list[str] = []
    runner = dbtRunner(
        callbacks=[
            lambda event: (
                event.info.level != "debug" and messages.append(event.info.msg)
            )
        ]
    )
    _reused_parse_vars = parse_vars if stops_at_var_check else None
    try:
        result = runner.invoke(
            [
                *command,
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(project_dir),
                "--target-path",
                str(target_path),
                "--log-path",
                str(workdir / "logs"),
                "--vars",
                str(variables),
                "--log-level",
                "warn",
                # The file log without dbt's debug lines (every SQL statement
                # and connection): writing them is a twentieth of a build's CPU.
                "--log-level-file",
                "info",
                *([] if artifacts else ["--no-write-json"]),
            ]
        )
    finally:
        _reused_parse_vars = None
    release_duckdb()
    if parse_cache is not None and not stops_at_var_check:
        keep_parse(target_path, parse_cache)
    return DbtRun(bool(result.success), messages, db_path, target_path, result.result)


def _excludes_unit_tests(command: list[str]) -> bool:
    return "resource_type:unit_test" in command or "unit_test" in command


def _state_check_ignoring_run_time_vars(loader: ManifestLoader) -> Any:
    """dbt's check of a saved parse, leaving out what only the SQL dbt runs reads:
    the RUN_TIME_ONLY_VARS and the per-test file locations of the profile (the
    DuckDB file and its temp directory). dbt rejects a saved parse whenever any CLI
    var or connection setting differs."""
    state = _dbt_state_check(loader)
    config = loader.root_project
    cli_vars = config.cli_vars if _reused_parse_vars is None else _reused_parse_vars
    parse_vars = {
        name: value
        for name, value in cli_vars.items()
        if name not in RUN_TIME_ONLY_VARS
    }
    vars_contents = "\x00".join(
        [
            pprint.pformat(parse_vars),
            getattr(config.args, "profile", "") or "",
            getattr(config.args, "target", "") or "",
            dbt_version,
        ]
    )
    connection = dict(config.credentials.connection_info())
    connection.pop("path", None)
    for options in ("config_options", "settings"):
        if isinstance(connection.get(options), dict):
            connection[options] = {
                name: value
                for name, value in connection[options].items()
                if name != "temp_directory"
            }
    return dataclasses.replace(
        state,
        vars_hash=FileHash.from_contents(vars_contents),
        profile_hash=FileHash.from_contents(pprint.pformat(sorted(connection.items()))),
    )


_dbt_state_check = ManifestLoader.build_manifest_state_check
ManifestLoader.build_manifest_state_check = _state_check_ignoring_run_time_vars  # type: ignore[method-assign]


def cached_parse(
    variables: dict[str, Any], command: list[str], target_path: Path, project: Path
) -> Path | None:
    """The session's saved parse for these vars and target (copied into a target
    folder that has none, so dbt parses only what changed), or None when the
    session keeps no cache. dbt itself still checks every file's checksum. A
    copy of the project (copy_project) starts from the project's parse, and its
    own parse, with the test's edits, is not kept (None)."""
    cache_dir = os.environ.get(PARSE_CACHE_ENV)
    if not cache_dir:
        return None
    copy = project.resolve() in _copies
    parse_vars = {k: v for k, v in variables.items() if k not in RUN_TIME_ONLY_VARS}
    target = command[command.index("--target") + 1] if "--target" in command else ""
    key = hashlib.sha256(
        pprint.pformat([parse_vars, target, str(ROOT if copy else project)]).encode()
    ).hexdigest()[:16]
    cached = Path(cache_dir) / f"{key}.msgpack"
    saved = target_path / "partial_parse.msgpack"
    if cached.exists() and not saved.exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, saved)
    return None if copy else cached


def keep_parse(target_path: Path, cached: Path) -> None:
    """Save this run's parse for the next run with the same vars (atomically:
    another xdist worker may be reading the cache)."""
    saved = target_path / "partial_parse.msgpack"
    if not saved.exists():
        return
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(saved, partial)
    os.replace(partial, cached)


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


def copy_project(target: Path) -> Path:
    """A copy of the project (no virtualenv, git, builds or data) at target."""
    shutil.copytree(
        ROOT,
        target,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "target",
            "logs",
            "data",
            "published",
            "*.duckdb*",
            ".*cache*",
            ".engines",
            "__pycache__",
        ),
    )
    _copies.add(target.resolve())
    return target


def edit_yaml(path: Path, change: Callable[[Any], object]) -> None:
    """Load a YAML file, let change edit the data in place, write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
