"""Publishing the marts for readers: complete versions, atomic switch, retention, and
readers that never fail or see a half-built state while a build and publish run."""

from __future__ import annotations

import json
from pathlib import Path

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

from tag_warehouse.publish import (
    CURRENT_FILE,
    PublishError,
    current_version_dir,
    list_versions,
    publish,
    read_build_info,
)


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
    assert set(info["tables"]) == marts | {"tag_value_labels", "tag_registry"}
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
    a loop while the same warehouse is rebuilt (another as_of_date, models and
    snapshots) and republished; it must never fail and only ever see whole builds."""
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
