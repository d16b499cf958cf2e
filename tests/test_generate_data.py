"""Tests of the synthetic CRM data generator (tag_warehouse.devtools.generate) and
its CLI."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tag_warehouse.devtools.generate import (
    COLUMNS,
    DIRT_KINDS,
    INVALID_STATUSES,
    KEYS,
    MANIFEST_NAME,
    Manifest,
    generate,
    generate_chunks,
    generate_with_manifest,
    write,
    write_chunks,
)

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 6, 30)
N_CUSTOMERS = 2000
Tables = dict[str, pa.Table]


def _seed_codes(domain: str) -> tuple[set[str], set[str]]:
    """(canonical codes, accepted aliases) of a code_aliases.csv domain."""
    with open(ROOT / "seeds" / "code_aliases.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["domain"] == domain]
    return {r["code"] for r in rows}, {r["alias"] for r in rows}


def _cli() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_data", ROOT / "scripts" / "generate_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def clean() -> Tables:
    return generate(N_CUSTOMERS, 7, AS_OF, 0.0)


@pytest.fixture(scope="module")
def dirty() -> tuple[Tables, Manifest]:
    return generate_with_manifest(N_CUSTOMERS, 7, AS_OF, 0.05)


def _values(table: pa.Table, column: str) -> list:
    return table.column(column).to_pylist()


def _parsed(table: pa.Table, column: str, fmt: str) -> pa.Array:
    """Parse strings strictly (raises on a malformed value, keeps nulls)."""
    return pc.strptime(table.column(column), format=fmt, unit="s")


def test_same_arguments_give_identical_tables_and_files(tmp_path: Path) -> None:
    first = generate(300, 11, AS_OF, 0.05)
    second = generate(300, 11, AS_OF, 0.05)
    assert all(first[name].equals(second[name]) for name in COLUMNS)
    assert not generate(300, 12, AS_OF, 0.05)["orders"].equals(first["orders"])
    for fmt in ("parquet", "csv"):
        write(first, tmp_path / f"a_{fmt}", fmt)
        write(second, tmp_path / f"b_{fmt}", fmt)
        for name in COLUMNS:
            a = (tmp_path / f"a_{fmt}" / f"{name}.{fmt}").read_bytes()
            assert a == (tmp_path / f"b_{fmt}" / f"{name}.{fmt}").read_bytes()


def test_contract_columns_are_exact_and_all_text(clean: Tables, dirty: tuple) -> None:
    for tables in (clean, dirty[0]):
        assert list(tables) == list(COLUMNS)
        for name, table in tables.items():
            assert tuple(table.column_names) == COLUMNS[name]
            assert all(field.type == pa.string() for field in table.schema)
    assert set(COLUMNS["orders"]) == {
        "order_id",
        "customer_id",
        "order_date",
        "product_category",
        "amount",
        "cost",
        "promotion_id",
        "status",
        "updated_at",
    }


def test_clean_data_has_no_dirt(clean: Tables) -> None:
    customers, orders = clean["customers"], clean["orders"]
    promotions, service = clean["promotions"], clean["service_interactions"]
    for name, key in KEYS.items():
        keys = _values(clean[name], key)
        assert None not in keys and len(set(keys)) == len(keys)
        assert all(k == k.strip() and k for k in keys)
    ids = set(_values(customers, "customer_id"))
    assert set(_values(orders, "customer_id")) <= ids
    assert set(_values(service, "customer_id")) <= ids
    assert set(_values(orders, "promotion_id")) - {None} <= set(
        _values(promotions, "promotion_id")
    )
    assert _values(customers, "customer_id")[0] == "C00000001"
    assert _values(orders, "order_id")[0] == "O000000001"

    ts, day = "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"
    end = pa.scalar(dt.datetime(2026, 6, 30, 23, 59, 59), pa.timestamp("s"))
    created = _parsed(customers, "created_at", ts)
    updated = _parsed(customers, "updated_at", ts)
    assert pc.all(pc.less_equal(created, updated)).as_py()
    assert pc.all(pc.less_equal(updated, end)).as_py()
    order_date = _parsed(orders, "order_date", day)
    assert pc.all(pc.less_equal(order_date, end)).as_py()
    assert pc.all(pc.less_equal(order_date, _parsed(orders, "updated_at", ts))).as_py()
    assert pc.all(pc.less_equal(_parsed(service, "occurred_at", ts), end)).as_py()
    start, stop = (
        _parsed(promotions, "start_date", day),
        _parsed(promotions, "end_date", day),
    )
    assert pc.all(pc.less_equal(start, stop)).as_py()

    amount = pc.cast(orders.column("amount"), pa.float64())
    cost = pc.cast(orders.column("cost"), pa.float64())
    assert pc.min(amount).as_py() > 0 and pc.min(cost).as_py() > 0
    assert pc.all(pc.less_equal(cost, amount)).as_py()
    rate = pc.cast(promotions.column("discount_rate"), pa.float64()).to_numpy()
    assert ((rate >= 0.05) & (rate <= 0.5)).all()
    score = pc.cast(service.column("satisfaction"), pa.int64()).to_numpy(
        zero_copy_only=False
    )
    assert set(score[~np.isnan(score)]) <= {1, 2, 3, 4, 5}
    employees = pc.cast(customers.column("employee_count"), pa.int64())
    assert pc.min(employees).as_py() >= 1

    for table, column, domain in (
        (customers, "customer_type", "customer_type"),
        (customers, "decision_role", "decision_role"),
        (orders, "status", "order_status"),
        (service, "channel", "channel"),
        (service, "interaction_type", "interaction_type"),
    ):
        assert set(_values(table, column)) - {None} == _seed_codes(domain)[0]
    with open(ROOT / "seeds" / "province_regions.csv", encoding="utf-8") as fh:
        provinces = {r["alias"] for r in csv.DictReader(fh)}
    assert set(_values(customers, "province")) <= provinces
    phones = _values(customers, "phone")
    assert all(len(p) == 11 and p.isdigit() and p[0] == "1" for p in phones)


def test_dirty_data_plants_every_kind(clean: Tables, dirty: tuple) -> None:
    tables, manifest = dirty
    assert {name: set(kinds) for name, kinds in manifest.items()} == {
        name: set(kinds) for name, kinds in DIRT_KINDS.items()
    }
    for name, kinds in manifest.items():
        assert all(count > 0 for count in kinds.values()), (name, kinds)
        # the clean rows are all still there: extra rows only add to them
        added = sum(kinds.get(k, 0) for k in ("duplicate_version", "exact_duplicate"))
        added += kinds["null_or_blank_key"]
        assert tables[name].num_rows == clean[name].num_rows + added
        # exact duplicates: identical in every column
        rows = tables[name].to_pylist()
        distinct = len({tuple(r.values()) for r in rows})
        assert len(rows) - distinct >= kinds["exact_duplicate"]
        blank = [r for r in rows if not (r[KEYS[name]] or "").strip()]
        assert len(blank) == kinds["null_or_blank_key"]

    # a later version of a key has a strictly later updated_at (no ties at the top)
    for name in ("customers", "orders"):
        table = tables[name]
        key = pc.utf8_trim_whitespace(table.column(KEYS[name]))
        stamp = pc.strptime(table.column("updated_at"), "%Y-%m-%d %H:%M:%S", "s", True)
        frame = pa.table({"key": key, "stamp": stamp})
        frame = frame.filter(pc.and_(pc.is_valid(stamp), pc.not_equal(key, "")))
        per_key = frame.group_by("key").aggregate([("stamp", "count_distinct")])
        versions = pc.sum(pc.greater(per_key.column("stamp_count_distinct"), 1))
        assert versions.as_py() == manifest[name]["duplicate_version"]

    # aliases are valid spellings; only the planted invalid statuses are not
    orders = tables["orders"]
    status = pc.utf8_lower(pc.utf8_trim_whitespace(orders.column("status")))
    codes, aliases = _seed_codes("order_status")
    accepted = {s.lower() for s in aliases}
    bad = [s for s in status.to_pylist() if s not in accepted]
    assert set(bad) <= set(INVALID_STATUSES)
    assert len(bad) == manifest["orders"]["invalid_status"]
    assert set(_values(orders, "status")) & (aliases - codes)  # e.g. '已完成'
    customer_ids = set(_values(clean["customers"], "customer_id"))
    trimmed = pc.utf8_trim_whitespace(orders.column("customer_id")).to_pylist()
    unknown = [c for c in trimmed if c and c not in customer_ids]
    assert len(unknown) == manifest["orders"]["unknown_customer_id"]


def test_csv_and_parquet_hold_the_same_rows(dirty: tuple, tmp_path: Path) -> None:
    tables, manifest = dirty
    write(tables, tmp_path, "parquet", manifest)
    from_parquet = {
        name: pq.read_table(tmp_path / f"{name}.parquet") for name in COLUMNS
    }
    write(tables, tmp_path, "csv", manifest)
    for name, columns in COLUMNS.items():
        assert not (tmp_path / f"{name}.parquet").exists()  # stale parquet removed
        options = pacsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()))
        from_csv = pacsv.read_csv(tmp_path / f"{name}.csv", convert_options=options)
        assert from_csv.column_names == list(columns)
        for column in columns:
            a = pc.fill_null(from_parquet[name].column(column), "")
            b = pc.fill_null(from_csv.column(column), "")
            assert a.equals(b), (name, column)
    assert json.loads((tmp_path / MANIFEST_NAME).read_text()) == manifest
    write(generate(50, 1, AS_OF, 0.0), tmp_path, "parquet")
    assert not (tmp_path / MANIFEST_NAME).exists()  # no stale manifest for clean data
    assert not (tmp_path / "orders.csv").exists()


def test_cli_writes_data_and_rejects_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = _cli()
    assert cli.main(["--dirty-rate", "2", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "dirty-rate" in err and "\n" not in err
    assert cli.main(["--as-of", "2026-13-01", "--out", str(tmp_path)]) == 2
    assert not list(tmp_path.iterdir())
    argv = ["--customers", "120", "--dirty-rate", "0.05", "--format", "csv"]
    assert cli.main([*argv, "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {
        *(f"{name}.csv" for name in COLUMNS),
        MANIFEST_NAME,
    }
    assert "done:" in capsys.readouterr().out


def test_realistic_shape(clean: Tables) -> None:
    orders = clean["orders"].to_pandas()
    orders["amount"] = orders["amount"].astype(float)
    customers = clean["customers"].to_pandas()
    completed = orders[orders["status"] == "completed"]
    assert 0.80 <= len(completed) / len(orders) <= 0.95
    assert 10 <= len(orders) / len(customers) <= 18
    revenue = completed.groupby("customer_id")["amount"].sum()
    revenue = revenue.reindex(customers["customer_id"], fill_value=0.0)
    ranked = revenue.sort_values(ascending=False).to_numpy()
    assert ranked[: len(ranked) // 5].sum() / ranked.sum() > 0.5
    assert (revenue == 0).mean() > 0.05  # some customers never bought

    types = customers["customer_type"].value_counts(normalize=True)
    assert 0.5 < types["individual"] < 0.7 and 0.02 < types["government"] < 0.12
    last = completed.groupby("customer_id")["order_date"].max()
    days = (np.datetime64(AS_OF) - last.to_numpy().astype("datetime64[D]")).astype(int)
    buckets = np.histogram(days, [0, 31, 91, 181, 10**6])[0]
    assert (buckets > 0.03 * len(customers)).all()
    window = completed[completed["order_date"] > str(AS_OF - dt.timedelta(days=365))]
    yearly = window.groupby("customer_id")["amount"].sum()
    assert (yearly > 100_000).sum() > 0 and (yearly > 50_000).sum() > 0
    month = orders["order_date"].str[5:7].value_counts()
    assert month["11"] > month["02"] and month["06"] > month["02"]
    promo = orders["promotion_id"].notna().mean()
    assert 0.05 < promo < 0.5


@pytest.mark.parametrize("fmt", ["typed", "csv"])
def test_chunked_generation_writes_one_file_per_table_with_unique_keys(
    tmp_path: Path, fmt: str
) -> None:
    """Big scales are generated and written chunk by chunk (generate_data.py above
    --chunk-customers): one file per table as the raw contract wants, keys unique
    across chunks, the promotions once, the dirt counted over every chunk."""
    chunks = generate_chunks(250, 3, AS_OF, 0.05, chunk_customers=100)
    rows, manifest = write_chunks(chunks, tmp_path, fmt)
    extension = "csv" if fmt == "csv" else "parquet"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{name}.{extension}" for name in COLUMNS] + [MANIFEST_NAME]
    )
    read = pacsv.read_csv if fmt == "csv" else pq.read_table
    tables = {name: read(tmp_path / f"{name}.{extension}") for name in COLUMNS}
    assert {name: t.num_rows for name, t in tables.items()} == rows
    assert json.loads((tmp_path / MANIFEST_NAME).read_text()) == manifest
    assert set(manifest) == set(DIRT_KINDS)
    chunk_dirt = next(generate_chunks(250, 3, AS_OF, 0.05, chunk_customers=100))[1]
    assert manifest["promotions"] == chunk_dirt["promotions"]  # the first chunk's
    assert (
        manifest["orders"]["exact_duplicate"] > chunk_dirt["orders"]["exact_duplicate"]
    )
    clean_chunks = generate_chunks(250, 3, AS_OF, 0.0, chunk_customers=100)
    clean, _ = write_chunks(clean_chunks, tmp_path / "clean", fmt)
    assert clean["customers"] == 250
    customer_ids = read(tmp_path / "clean" / f"customers.{extension}").column(
        "customer_id"
    )
    assert customer_ids.to_pylist() == [f"C{n:08d}" for n in range(1, 251)]
    for name in ("orders", "service_interactions"):
        table = read(tmp_path / "clean" / f"{name}.{extension}")
        keys = table.column(KEYS[name])
        assert pc.count_distinct(keys).as_py() == table.num_rows == clean[name]
        customers = set(table.column("customer_id").to_pylist())
        assert customers <= set(customer_ids.to_pylist())
    if fmt == "typed":  # typed in every row group, with DuckDB-sized row groups
        orders = pq.ParquetFile(tmp_path / "orders.parquet")
        assert orders.schema_arrow.field("amount").type == pa.decimal128(18, 2)
        assert orders.metadata.num_row_groups >= 3
