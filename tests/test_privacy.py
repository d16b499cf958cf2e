"""No PII (name, phone, e-mail) past staging nor in the published files; phone and
e-mail hashes are salted with a secret from the environment that is never stored in
the warehouse; the documented BI connection can read the marts and nothing else."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import FIXTURES, SMALL_DATA_VARS, DbtRun, run_dbt

from tag_warehouse.publish import current_version_dir, publish, serving_connection
from tag_warehouse.report import build_dashboard, render_html

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


@pytest.fixture(scope="module")
def published_demo(
    demo_build: DbtRun, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("published_privacy")
    publish(demo_build.db_path, out)
    return out


def test_no_pii_in_published_files(published_demo: Path) -> None:
    version = current_version_dir(published_demo)
    leaks = []
    with duckdb.connect() as con:
        for parquet in sorted(version.glob("*.parquet")):
            relation = con.sql(f"select * from read_parquet('{parquet}')")
            for column, kind in zip(relation.columns, relation.types, strict=True):
                if str(kind) != "VARCHAR":
                    continue
                values = con.sql(
                    f"select distinct \"{column}\" from read_parquet('{parquet}')"
                    f' where "{column}" is not null'
                ).fetchall()
                for (value,) in values:
                    if EMAIL.search(value) or PHONE.search(value):
                        leaks.append((parquet.name, column, value))
    assert leaks == []


def test_bi_connection_is_read_only_without_external_access(
    published_demo: Path, tmp_path: Path
) -> None:
    """The documented BI connection: read-only, external access off except for the
    publish folder (docs/bi.md)."""
    con = serving_connection(published_demo)
    con.execute(f"set allowed_directories = ['{published_demo.resolve()}/']")
    con.execute("set enable_external_access = false")
    assert con.sql("select count(*) from customer_tags_value").fetchall()[0][0] > 0
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(duckdb.Error):
        con.sql(f"select * from read_csv('{secret}')").fetchall()
    with pytest.raises(duckdb.Error):
        con.execute("create table stolen as select 1 as x")
    with pytest.raises(duckdb.Error):
        con.execute("set enable_external_access = true")
    con.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_pii_in_the_dashboard(published_demo: Path, lang: str) -> None:
    page = render_html(build_dashboard(current_version_dir(published_demo), lang))
    assert not EMAIL.search(page)
    assert not PHONE.search(page)
