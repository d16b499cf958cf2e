"""A build killed with SIGKILL at any point leaves the published marts readable and
all from the previous successful build; the next build succeeds and matches a clean
build of the same input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dbt_helpers import AS_OF, FIXTURES, MODELS_ONLY, ROOT, SMALL_DATA_VARS, run_dbt
from test_bad_input import mart_fingerprints

from tag_warehouse.publish import current_version_dir, publish, serving_connection

DBT = Path(sys.executable).parent / "dbt"
# Seconds after the start: during parsing and the hooks, then while models build.
KILL_POINTS = [2.0, 7.0]


def published_fingerprint(out_dir: Path) -> dict[str, int]:
    with serving_connection(out_dir) as con:
        return {
            table: con.sql(f"select count(*) from {table}").fetchall()[0][0]
            for table in ["customer_tags_value", "customer_tags_behavior"]
        }


def start_build(workdir: Path) -> subprocess.Popen[bytes]:
    variables = {"raw_data_path": str(FIXTURES / "raw_dirty"), "as_of_date": AS_OF}
    variables.update(SMALL_DATA_VARS)
    return subprocess.Popen(
        [
            str(DBT),
            "build",
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
            "--vars",
            json.dumps(variables),
        ],
        cwd=ROOT,
        env={**os.environ, "WAREHOUSE_DB": str(workdir / "warehouse.duckdb")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_killed_builds_keep_published_marts_and_recover(tmp_path: Path) -> None:
    first = run_dbt(
        ["build", *MODELS_ONLY],
        tmp_path,
        FIXTURES / "raw_dirty",
        extra_vars=SMALL_DATA_VARS,
    )
    assert first.success, first.log
    out = tmp_path / "published"
    publish(first.db_path, out)
    version, before = current_version_dir(out), published_fingerprint(out)

    for kill_after_seconds in KILL_POINTS:
        build = start_build(tmp_path)
        time.sleep(kill_after_seconds)
        still_running = build.poll() is None
        build.send_signal(signal.SIGKILL)
        build.wait()
        assert still_running, f"the build ended before {kill_after_seconds}s"
        assert current_version_dir(out) == version
        assert published_fingerprint(out) == before

    again = run_dbt(
        ["build", *MODELS_ONLY],
        tmp_path,
        FIXTURES / "raw_dirty",
        extra_vars=SMALL_DATA_VARS,
    )
    assert again.success, again.log
    assert mart_fingerprints(again) == mart_fingerprints(first)
