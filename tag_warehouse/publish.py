"""Publish the marts for readers (BI tools, notebooks) without ever locking them out.

DuckDB allows one writer per file, so readers never open the warehouse. After a
successful `dbt build`, `publish()` exports every relation of the `marts` schema (and
the label/registry seeds) as Parquet into a new, immutable version folder and then
switches the readers over atomically:

    published/
      20261126T213001.482113Z-1a2b3c4d/   one folder per build (immutable)
        customer_tags_value.parquet ...  _build.json
      current -> 20261126T213001.482113Z-1a2b3c4d   symlink, switched with os.replace
      CURRENT                            the same version name as text
      serving.duckdb                     views over that version's Parquet files

A version folder is written under a temporary name and renamed only when complete, so
a half-written version is never visible. `serving.duckdb` is written to a temporary
file and moved into place with os.replace: a reader that opens it sees the old or the
new version, never a mix, and its views name the version folder itself (not
`current`), so one connection reads one build even if a publish happens meanwhile.
Old versions are deleted only after the switch, keeping the newest `keep` (and any
replaced less than `grace_seconds` ago: a reader may still be reading it).

Everything that needs disk space (the version, the next serving.duckdb, `current` and
CURRENT) is written before the switch, which only renames. A publish that fails
while writing (e.g. a full disk) removes all it wrote and raises a one-line
PublishError; each publish first removes what an interrupted one left (temporary
files, a complete version newer than any version readers can reach).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

PUBLISH_DIR_ENV = "WAREHOUSE_PUBLISH_DIR"
DEFAULT_PUBLISH_DIR = "published"
DEFAULT_KEEP = 3
# A version past `keep` is deleted only once it was replaced this long ago, so a
# reader that opened it just before a publish can finish its queries.
DEFAULT_GRACE_SECONDS = 300.0
MART_SCHEMA = "marts"
# Seeds published beside the marts so a BI tool can label tag codes.
REFERENCE_TABLES = (
    ("reference", "tag_value_labels"),
    ("reference", "tag_registry"),
    ("reference", "audience_registry"),
)
BUILD_FILE = "_build.json"
SERVING_FILE = "serving.duckdb"
CURRENT_LINK = "current"
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".publish.lock"
VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{8}$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# Temporary names of a publish in progress: .<version>.tmp (the version being
# written), .serving.duckdb.<version>.tmp(.wal), .current.<version>.tmp, ...
_TEMPORARY = re.compile(r"^\..+\.tmp(\.wal)?$")


class PublishError(RuntimeError):
    """The warehouse cannot be published (missing, locked, failed build, ...)."""


@dataclass(frozen=True)
class PublishResult:
    """What one publish wrote: the version, its folder, row counts, pruned versions."""

    version: str
    path: Path
    row_counts: dict[str, int]
    serving_db: Path
    removed: list[str] = field(default_factory=list)


def default_publish_dir() -> Path:
    """WAREHOUSE_PUBLISH_DIR, else `published` (relative to the working directory)."""
    return Path(os.environ.get(PUBLISH_DIR_ENV) or DEFAULT_PUBLISH_DIR)


def new_version_name(now: dt.datetime | None = None) -> str:
    """A sortable, unique version name: UTC timestamp (microseconds) + short id."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


def list_versions(out_dir: Path) -> list[str]:
    """Complete version folders in out_dir, oldest first."""
    if not out_dir.is_dir():
        return []
    return sorted(
        entry.name
        for entry in out_dir.iterdir()
        if entry.is_dir()
        and not entry.is_symlink()
        and VERSION_PATTERN.match(entry.name)
    )


def current_version_dir(out_dir: Path) -> Path:
    """The folder of the version readers currently get (resolved once, so a caller
    reading several tables from it reads one build even if a publish happens)."""
    link = out_dir / CURRENT_LINK
    if link.is_symlink():
        return link.resolve()
    marker = out_dir / CURRENT_FILE
    if marker.is_file():
        return (out_dir / marker.read_text(encoding="utf-8").strip()).resolve()
    raise PublishError(f"nothing published in {out_dir} yet (no {CURRENT_LINK})")


def read_build_info(version_dir: Path) -> dict[str, Any]:
    """The _build.json of a version folder."""
    return json.loads((version_dir / BUILD_FILE).read_text(encoding="utf-8"))


def run_results_summary(run_results: Path) -> dict[str, Any]:
    """Invocation id and failed nodes of a dbt run_results.json."""
    data = json.loads(run_results.read_text(encoding="utf-8"))
    failed = [
        result["unique_id"]
        for result in data.get("results", [])
        if result.get("status") in ("error", "fail", "runtime error")
    ]
    return {
        "invocation_id": data.get("metadata", {}).get("invocation_id"),
        "generated_at": data.get("metadata", {}).get("generated_at"),
        "failed_nodes": failed,
    }


@contextlib.contextmanager
def _publish_lock(out_dir: Path) -> Iterator[None]:
    """Serialise publishers (never readers) with an advisory lock on a file."""
    try:
        import fcntl
    except ImportError:  # not POSIX: publishers must not overlap
        yield
        return
    with (out_dir / LOCK_FILE).open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, name) of every relation to publish: all of `marts`, then the seeds."""
    marts = con.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_catalog = current_database() and table_schema = ?"
        " order by table_name",
        [MART_SCHEMA],
    ).fetchall()
    if not marts:
        raise PublishError(f"the warehouse has no relation in schema `{MART_SCHEMA}`")
    present = set(
        con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = current_database()"
        ).fetchall()
    )
    relations = [(schema, name) for schema, name in marts]
    relations += [pair for pair in REFERENCE_TABLES if pair in present]
    names = [name for _, name in relations]
    for name in names:
        if not _NAME.match(name):
            raise PublishError(f"cannot publish relation with unusual name {name!r}")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PublishError(f"relation names published twice: {duplicates}")
    return relations


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _export(
    warehouse: Path, staging: Path
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Write every relation as Parquet into staging, in one read snapshot."""
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        raise PublishError(f"cannot open the warehouse {warehouse}: {error}") from None
    row_counts: dict[str, int] = {}
    schemas: dict[str, str] = {}
    as_of_dates: set[str] = set()
    try:
        con.execute("begin transaction")
        for schema, name in _relations(con):
            target = staging / f"{name}.parquet"
            con.execute(
                f'copy (select * from "{schema}"."{name}") to '
                f"'{_sql_path(target)}' (format parquet, compression zstd)"
            )
            row_counts[name] = int(
                con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            )
            schemas[name] = schema
            columns = {
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns"
                    " where table_catalog = current_database()"
                    " and table_schema = ? and table_name = ?",
                    [schema, name],
                ).fetchall()
            }
            # A table's newest as_of_date is the build it shows: a history
            # (audience_sizes, rfm_segment_cuts) keeps the earlier builds' rows.
            if schema == MART_SCHEMA and "as_of_date" in columns:
                newest = con.execute(
                    f'select max(as_of_date) from "{schema}"."{name}"'
                ).fetchone()[0]
                if newest is not None:
                    as_of_dates.add(str(newest))
        con.execute("commit")
    finally:
        con.close()
    return row_counts, schemas, sorted(as_of_dates)


def _write_serving_file(out_dir: Path, version_dir: Path, info: dict[str, Any]) -> Path:
    """Write the next serving.duckdb under a temporary name: one view per published
    table over the version's Parquet files (absolute paths), plus a `publish_info`
    table. The caller moves it into place."""
    temporary = out_dir / f".{SERVING_FILE}.{info['version']}.tmp"
    temporary.unlink(missing_ok=True)
    con = duckdb.connect(str(temporary))
    try:
        for name in info["tables"]:
            parquet = (version_dir / f"{name}.parquet").resolve()
            con.execute(
                f'create view "{name}" as select * from '
                f"read_parquet('{_sql_path(parquet)}')"
            )
        con.execute(
            "create table publish_info as select cast(? as varchar) as version,"
            " cast(? as varchar) as published_at, cast(? as varchar) as as_of_date,"
            " cast(? as varchar) as invocation_id",
            [
                info["version"],
                info["published_at"],
                info["as_of_date"],
                info.get("dbt_invocation_id"),
            ],
        )
        con.execute("checkpoint")
    finally:
        con.close()
    Path(f"{temporary}.wal").unlink(missing_ok=True)
    return temporary


def _prepare_switch(out_dir: Path, version: str) -> tuple[Path, Path]:
    """The next `current` (symlink, relative) and CURRENT (text), under temporary
    names; moving them into place needs no disk space."""
    temporary_link = out_dir / f".{CURRENT_LINK}.{version}.tmp"
    temporary_link.unlink(missing_ok=True)
    os.symlink(version, temporary_link, target_is_directory=True)
    temporary_file = out_dir / f".{CURRENT_FILE}.{version}.tmp"
    temporary_file.write_text(version + "\n", encoding="utf-8")
    return temporary_link, temporary_file


def prune(
    out_dir: Path, keep: int, protect: str, grace_seconds: float = 0.0
) -> list[str]:
    """Delete all but the newest `keep` versions; never the one named `protect`, and
    none replaced less than grace_seconds ago (a reader may still be reading it)."""
    versions = list_versions(out_dir)
    now = dt.datetime.now(dt.UTC)
    removed = []
    for index, name in enumerate(versions[: max(len(versions) - keep, 0)]):
        if name == protect:
            continue
        successor = versions[index + 1]
        replaced_at = dt.datetime.fromisoformat(
            read_build_info(out_dir / successor)["published_at"]
        )
        if (now - replaced_at).total_seconds() < grace_seconds:
            continue
        shutil.rmtree(out_dir / name)
        removed.append(name)
    return removed


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def _referenced_versions(out_dir: Path) -> set[str] | None:
    """The versions readers can reach (`current`, CURRENT, serving.duckdb), or None
    when serving.duckdb cannot be read (then nothing is known to be unreferenced)."""
    names = set()
    link = out_dir / CURRENT_LINK
    if link.is_symlink():
        names.add(Path(os.readlink(link)).name)
    marker = out_dir / CURRENT_FILE
    if marker.is_file():
        names.add(marker.read_text(encoding="utf-8").strip())
    serving = out_dir / SERVING_FILE
    if serving.exists():
        try:
            with duckdb.connect(str(serving), read_only=True) as con:
                row = con.execute("select version from publish_info").fetchone()
        except duckdb.Error:
            return None
        if row:
            names.add(str(row[0]))
    return names


def _clean_leftovers(out_dir: Path) -> None:
    """Remove what an interrupted or failed publish left (we hold the lock): its
    temporary files and folders, and a version folder newer than every version
    readers can reach (it was complete but never switched to)."""
    for entry in out_dir.iterdir():
        if _TEMPORARY.match(entry.name):
            _remove(entry)
    referenced = _referenced_versions(out_dir)
    if referenced is None:
        return
    newest = max(referenced, default="")
    for name in list_versions(out_dir):
        if name > newest:
            _remove(out_dir / name)


def _remove_attempt(out_dir: Path, version: str) -> None:
    """Remove everything a failed publish of `version` wrote (its names hold it)."""
    for entry in out_dir.iterdir():
        if version in entry.name:
            _remove(entry)


def _is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    text = str(error).lower()
    return "no space left on device" in text or "disk quota exceeded" in text


def _write_failed(
    error: BaseException, out_dir: Path, version: str, readers_on: str | None
) -> PublishError:
    """One line for a publish that could not write: why, and what to do."""
    if _is_disk_full(error):
        why = f"no space left on the device of {out_dir}"
        todo = "free some space (or publish with a lower --keep) and publish again"
    else:
        lines = str(error).strip().splitlines()
        why = lines[0] if lines else type(error).__name__
        todo = "fix that and publish again"
    still = (
        f"readers still get version {readers_on}"
        if readers_on
        else "nothing was published before"
    )
    return PublishError(
        f"could not write version {version}: {why}. The partial version was"
        f" removed and {still}; {todo}."
    )


def publish(
    warehouse: Path,
    out_dir: Path | None = None,
    keep: int = DEFAULT_KEEP,
    run_results: Path | None = None,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> PublishResult:
    """Export the marts of `warehouse` as a new version and switch readers to it.

    With `run_results` (dbt's run_results.json of the build), refuses to publish a
    build with failed nodes and records the dbt invocation id.
    """
    if keep < 1:
        raise PublishError(f"keep must be >= 1, got {keep}")
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise PublishError(f"warehouse file not found: {warehouse}")
    out_dir = Path(out_dir or default_publish_dir()).absolute()
    build: dict[str, Any] = {}
    if run_results is not None:
        build = run_results_summary(Path(run_results))
        if build["failed_nodes"]:
            raise PublishError(
                "the dbt build failed, not publishing: "
                + ", ".join(build["failed_nodes"][:10])
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    with _publish_lock(out_dir):
        _clean_leftovers(out_dir)
        readers_on = _current_name(out_dir)
        version = new_version_name()
        # Everything that takes disk space is written under names holding the
        # version; on any failure all of it is removed, and readers never saw it.
        try:
            staging = out_dir / f".{version}.tmp"
            staging.mkdir()
            row_counts, schemas, as_of_dates = _export(warehouse, staging)
            info: dict[str, Any] = {
                "version": version,
                "published_at": dt.datetime.now(dt.UTC).isoformat(
                    timespec="milliseconds"
                ),
                "as_of_date": as_of_dates[0] if len(as_of_dates) == 1 else None,
                "as_of_dates": as_of_dates,
                "warehouse": str(warehouse.resolve()),
                "dbt_invocation_id": build.get("invocation_id"),
                "dbt_generated_at": build.get("generated_at"),
                "tables": row_counts,
                "source_schemas": schemas,
            }
            (staging / BUILD_FILE).write_text(
                json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            version_dir = out_dir / version
            os.rename(staging, version_dir)
            serving_next = _write_serving_file(out_dir, version_dir, info)
            link_next, file_next = _prepare_switch(out_dir, version)
            # The switch: renames only. serving.duckdb first; once it moved, the
            # version is published.
            os.replace(serving_next, out_dir / SERVING_FILE)
        except BaseException as error:
            _remove_attempt(out_dir, version)
            if isinstance(error, OSError | duckdb.Error):
                raise _write_failed(error, out_dir, version, readers_on) from None
            raise
        try:
            os.replace(link_next, out_dir / CURRENT_LINK)
            os.replace(file_next, out_dir / CURRENT_FILE)
        except OSError as error:
            raise PublishError(
                f"version {version} is in {SERVING_FILE}, but `{CURRENT_LINK}` could"
                f" not be switched to it ({error.strerror}): publish again"
            ) from None
        serving = out_dir / SERVING_FILE
        removed = prune(out_dir, keep, protect=version, grace_seconds=grace_seconds)
    return PublishResult(version, version_dir, row_counts, serving, removed)


def _current_name(out_dir: Path) -> str | None:
    """The version readers get now, or None before the first publish."""
    try:
        return current_version_dir(out_dir).name
    except PublishError:
        return None


def serving_connection(out_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to serving.duckdb (the way a BI tool should open it)."""
    path = Path(out_dir or default_publish_dir()) / SERVING_FILE
    return duckdb.connect(str(path), read_only=True)
