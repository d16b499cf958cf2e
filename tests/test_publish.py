"""Publishing the marts for readers: complete versions, atomic switch, retention, and
readers that never fail or see a half-built state while a build and publish run."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from dbt_helpers import DbtRun
from published_reader import (
    MART_TABLES,
    Rebuild,
    fingerprint,
    warehouse_fingerprint,
)

import tag_warehouse.publish as publishing
from tag_warehouse.publish import (
    CURRENT_FILE,
    PublishError,
    current_version_dir,
    list_versions,
    publish,
    read_build_info,
    serving_connection,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def published(demo_build: DbtRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published")
    publish(demo_build.db_path, out)
    return out


def test_publish_writes_every_mart_and_switches_current(
    demo_build: DbtRun, published: Path
) -> None:
    version_dir = current_version_dir(published)
    info = read_build_info(version_dir)
    assert (published / CURRENT_FILE).read_text().strip() == version_dir.name
    assert list_versions(published) == [version_dir.name]
    assert info["as_of_date"] == "2026-06-30"
    marts = {
        name
        for (name,) in demo_build.query(
            "select table_name from information_schema.tables"
            " where table_schema = 'marts'"
        )
    }
    assert set(MART_TABLES) <= marts
    reference = {"tag_value_labels", "tag_registry", "audience_registry"}
    assert set(info["tables"]) == marts | reference
    for table, rows in info["tables"].items():
        schema = info["source_schemas"][table]
        assert rows == demo_build.scalar(f"select count(*) from {schema}.{table}")
        assert pq.read_metadata(version_dir / f"{table}.parquet").num_rows == rows
    # Same content, not just the same counts: every value of every mart.
    with duckdb.connect(str(demo_build.db_path), read_only=True) as con:
        for table in MART_TABLES:
            path = version_dir / f"{table}.parquet"
            differing = con.execute(
                f"select count(*) from ((select * from marts.{table} except all"
                f" select * from read_parquet('{path}')) union all"
                f" (select * from read_parquet('{path}') except all"
                f" select * from marts.{table}))"
            ).fetchone()[0]
            assert differing == 0, table
    with duckdb.connect(str(published / "serving.duckdb"), read_only=True) as con:
        assert fingerprint(con) == warehouse_fingerprint(demo_build.db_path)
        assert con.execute("select version from publish_info").fetchone()[0] == (
            version_dir.name
        )
        views = {
            name
            for (name,) in con.execute(
                "select view_name from duckdb_views() where not internal"
            ).fetchall()
        }
        assert views == set(info["tables"])


def test_publish_keeps_the_newest_versions_and_cleans_leftovers(
    demo_build: DbtRun, tmp_path: Path
) -> None:
    out = tmp_path / "published"
    first = publish(demo_build.db_path, out, keep=2, grace_seconds=0)
    (out / ".interrupted.tmp").mkdir()  # what a killed publish leaves behind
    publish(demo_build.db_path, out, keep=2, grace_seconds=0)
    assert not (out / ".interrupted.tmp").exists()
    third = publish(demo_build.db_path, out, keep=2, grace_seconds=0)
    assert third.removed == [first.version]
    assert len(list_versions(out)) == 2
    assert current_version_dir(out) == third.path.resolve()
    # A replaced version stays during the grace period (readers may hold it).
    fourth = publish(demo_build.db_path, out, keep=1, grace_seconds=3600)
    assert fourth.removed == []
    assert len(list_versions(out)) == 3


def test_publish_refuses_a_failed_build_and_keeps_the_current_version(
    demo_build: DbtRun, tmp_path: Path
) -> None:
    out = tmp_path / "published"
    good = publish(demo_build.db_path, out)
    run_results = tmp_path / "run_results.json"
    run_results.write_text(
        json.dumps(
            {
                "metadata": {"invocation_id": "abc"},
                "results": [
                    {"unique_id": "model.customer_tags.x", "status": "success"},
                    {"unique_id": "test.customer_tags.y", "status": "fail"},
                ],
            }
        )
    )
    with pytest.raises(PublishError, match="test.customer_tags.y"):
        publish(demo_build.db_path, out, run_results=run_results)
    with pytest.raises(PublishError, match="not found"):
        publish(tmp_path / "missing.duckdb", out)
    assert list_versions(out) == [good.version]
    assert current_version_dir(out) == good.path.resolve()


def test_readers_never_fail_during_a_build_and_publish(
    rebuild_under_readers: Rebuild,
) -> None:
    """Done criterion of the BI issue: a reader process queries the published marts in
    a loop while the same warehouse is rebuilt (another as_of_date, every model,
    the history too) and republished; it must never fail and only ever see whole
    builds."""
    outcome = rebuild_under_readers
    assert outcome.reader_exitcode == 0
    assert outcome.after != outcome.before, "the rebuild must change the marts"
    report = outcome.report
    assert report["failures"] == []
    before, after = outcome.before, outcome.after
    versions = {"|".join(before): "first", "|".join(after): "second"}
    by_method: dict[str, set[str]] = {}
    for key in report["seen"]:
        method, _, seen = key.partition("|")
        if method == "pyarrow":  # one table through the symlink: count + as_of
            rows, as_of = seen.split("|")
            assert int(rows) == int(before[0]) and as_of in (before[1], after[1]), key
            continue
        assert seen in versions, f"{method} saw a state of no build: {seen}"
        by_method.setdefault(method, set()).add(versions[seen])
    assert by_method == {"serving": {"first", "second"}, "parquet": {"first", "second"}}
    assert read_build_info(outcome.version_dir)["as_of_date"] == "2026-07-31"
    print(f"reader: {report['queries']} query rounds, 0 failures")


@pytest.fixture
def small_warehouse(tmp_path: Path) -> Path:
    """A warehouse with two tiny marts and the registry seed (no dbt needed)."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create schema reference")
        con.execute(
            "create table marts.customer_tags_value as select 'c' || i as customer_id,"
            " 'vip' as customer_level, date '2026-06-30' as as_of_date"
            " from range(50) as t(i)"
        )
        con.execute("create table marts.tag_health as select 1 as unknown_customers")
        con.execute("create table reference.tag_registry as select 'ltv' as tag")
    return path


def entries(out: Path) -> set[str]:
    return {entry.name for entry in out.iterdir()}


def serving_version(out: Path) -> str:
    with serving_connection(out) as con:
        return str(con.execute("select version from publish_info").fetchone()[0])


def disk_full(*_: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def after(real: Callable[..., Any], fail: Callable[..., None]) -> Callable[..., Any]:
    """real, then fail: a step that wrote its files before the disk filled up."""

    def step(*args: Any) -> Any:
        real(*args)
        fail()

    return step


def duckdb_disk_full(*_: object) -> None:
    raise duckdb.IOException(
        'Could not write file "x.parquet": No space left on device'
    )


@pytest.mark.parametrize(
    ("step", "fail"),
    [
        ("_export", duckdb_disk_full),  # the Parquet files
        ("_write_serving_file", disk_full),  # the next serving.duckdb (+ .wal)
        ("_prepare_switch", disk_full),  # the next `current` and CURRENT
    ],
)
def test_a_publish_on_a_full_disk_leaves_nothing_and_readers_on_the_last_version(
    small_warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    fail: Callable[..., None],
) -> None:
    out = tmp_path / "published"
    first = publish(small_warehouse, out)
    before = entries(out)
    monkeypatch.setattr(publishing, step, after(getattr(publishing, step), fail))
    with pytest.raises(PublishError) as raised:
        publish(small_warehouse, out)
    message = str(raised.value)
    assert f"no space left on the device of {out}" in message
    assert f"readers still get version {first.version}" in message
    assert "\n" not in message
    assert entries(out) == before  # no half-written version, no temporary file
    assert current_version_dir(out) == first.path.resolve()
    assert serving_version(out) == first.version


def test_the_next_publish_removes_what_an_interrupted_one_left(
    small_warehouse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "published"
    first = publish(small_warehouse, out)
    # A publish killed after its version was complete but before the switch, and
    # the temporary files of one killed earlier.
    never_switched = publishing.new_version_name()
    shutil.copytree(first.path, out / never_switched)
    killed = publishing.new_version_name()
    (out / f".{killed}.tmp").mkdir()
    (out / f".{killed}.tmp" / "customer_tags_value.parquet").write_bytes(b"PAR1")
    for name in [f".serving.duckdb.{killed}.tmp", f".serving.duckdb.{killed}.tmp.wal"]:
        (out / name).write_bytes(b"partial")
    os.symlink(killed, out / f".current.{killed}.tmp")
    (out / f".CURRENT.{killed}.tmp").write_text(killed)
    second = publish(small_warehouse, out, grace_seconds=3600)
    assert entries(out) == {
        first.version,
        second.version,
        "current",
        "CURRENT",
        "serving.duckdb",
        ".publish.lock",
    }
    assert list_versions(out) == [first.version, second.version]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs (needs root and mount: skipped elsewhere)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_publish_on_a_really_full_disk_says_so_in_one_line_and_recovers(
    small_warehouse: Path, small_disk: Path
) -> None:
    out = small_disk / "published"
    command = [
        sys.executable,
        str(ROOT / "scripts" / "publish.py"),
        "--warehouse",
        str(small_warehouse),
        "--out",
        str(out),
        "--grace-seconds",
        "0",
    ]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    first, before = current_version_dir(out), entries(out)
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (free - 64 * 1024))
    failed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert failed.stderr.startswith("publish failed: could not write version ")
    assert f"no space left on the device of {out}" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert entries(out) == before
    assert current_version_dir(out) == first
    assert serving_version(out) == first.name
    filler.unlink()
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    assert current_version_dir(out) != first
    assert not [name for name in entries(out) if name.endswith((".tmp", ".wal"))]
