"""No PII (name, phone, e-mail) past staging; phone and e-mail hashes are salted with
a secret from the environment that is never stored in the warehouse."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from dbt_helpers import FIXTURES, SMALL_DATA_VARS, DbtRun, run_dbt

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"(?<![0-9a-f])1[3-9][0-9]{9}(?![0-9a-f])")
PLANTED_NAMES = ["张三", "O'Brien", "某某制造有限公司", "某市政府"]


def text_values(run: DbtRun, schemas: tuple[str, ...]) -> dict[str, list[str]]:
    """Every distinct text value of every table column in the schemas."""
    columns = run.query(
        "select table_schema, table_name, column_name from information_schema.columns"
        f" where table_schema in {schemas} and data_type = 'VARCHAR'"
    )
    return {
        f"{schema}.{table}.{column}": [
            value
            for (value,) in run.query(
                f'select distinct "{column}" from {schema}."{table}"'
                f' where "{column}" is not null'
            )
        ]
        for schema, table, column in columns
    }


@pytest.mark.parametrize("build", ["dirty_build", "demo_build"])
def test_no_pii_past_staging(build: str, request: pytest.FixtureRequest) -> None:
    run: DbtRun = request.getfixturevalue(build)
    leaks = []
    for column, values in text_values(run, ("intermediate", "marts")).items():
        for value in values:
            if EMAIL.search(value) or PHONE.search(value):
                leaks.append((column, value))
            leaks.extend((column, value) for name in PLANTED_NAMES if name in value)
    assert leaks == []


def test_staging_keeps_only_hashes(dirty_build: DbtRun) -> None:
    for column, values in text_values(dirty_build, ("staging",)).items():
        if column.endswith(("_rejected.raw_city", "_hash")):
            continue
        for value in values:
            assert not EMAIL.search(value), column
            assert not PHONE.search(value), column
            assert all(name not in value for name in PLANTED_NAMES), column


def test_hashes_use_the_secret_salt_and_never_store_it(tmp_path: Path) -> None:
    salt = "s3cret-salt-for-test"
    os.environ["WAREHOUSE_PII_SALT"] = salt
    try:
        run = run_dbt(
            [
                "build",
                "--select",
                "+stg_crm__customers",
                "--indirect-selection",
                "cautious",
            ],
            tmp_path,
            FIXTURES / "raw_dirty",
            extra_vars=SMALL_DATA_VARS,
        )
    finally:
        del os.environ["WAREHOUSE_PII_SALT"]
    assert run.success, run.log
    phone_hash = run.scalar(
        "select phone_hash from staging.stg_crm__customers where customer_id = 'C001'"
    )
    assert phone_hash == hashlib.sha256(f"{salt}13800000001".encode()).hexdigest()
    assert phone_hash != hashlib.sha256(b"13800000001").hexdigest()
    stored_sql = run.query("select sql from duckdb_views() where not internal")
    assert all(salt not in (sql or "") for (sql,) in stored_sql)
    for values in text_values(run, ("raw", "reference", "staging")).values():
        assert all(salt not in value for value in values)
