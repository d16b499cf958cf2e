"""Raw files are read exactly, never guessed (issue #19 items 4-8): every CSV option
is pinned, every line of a file ends in exactly one raw row (a malformed line as a
bad_csv_line reject with its line number), _source_row is the line an editor shows,
two columns of one name stop the build, a Parquet file shadowing a CSV is logged,
and raw_data_path is a path, never a pattern. Small planted files in tmp_path."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from dbt_helpers import SMALL_DATA_VARS, DbtRun, generated_raw, run_dbt

from tag_warehouse.engines import RAW_CONTRACT

TABLES = list(RAW_CONTRACT)
STAGING = ["--select", "+path:models/staging", "--indirect-selection", "cautious"]
HUGE = "x" * 3_000_000  # over DuckDB's default CSV max_line_size (2 MB)


def csv_line(fields: list[str], delimiter: str = ",") -> str:
    """One CSV record as Python's csv module writes it (minimal quoting)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerow(fields)
    return out.getvalue()


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def python_records(
    path: Path, delimiter: str = ","
) -> list[tuple[int, int, dict[str, str | None]]]:
    """(line the record starts on, its number of lines, its values) per record, by
    Python's csv module: the reference the raw views are compared with."""
    records = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        names = [name.strip().lower() for name in next(reader)]
        start = reader.line_num + 1
        for fields in reader:
            values = {n: (v or None) for n, v in zip(names, fields, strict=True)}
            records.append((start, reader.line_num - start + 1, values))
            start = reader.line_num + 1
    return records


def raw_records(
    run: DbtRun, table: str
) -> list[tuple[int, int, dict[str, str | None]]]:
    columns = RAW_CONTRACT[table]
    rows = run.query(
        f"select _source_row, _source_lines, {', '.join(columns)}"
        f" from raw.{table} order by _source_row"
    )
    return [(row[0], row[1], dict(zip(columns, row[2:], strict=True))) for row in rows]


def contract_values(
    records: list[tuple[int, int, dict[str, str | None]]], table: str
) -> list[tuple[int, int, dict[str, str | None]]]:
    return [
        (start, lines, {c: values[c] for c in RAW_CONTRACT[table]})
        for start, lines, values in records
    ]


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small clean raw directory in CSV (60 customers)."""
    raw_dir = tmp_path_factory.mktemp("clean_raw")
    generated_raw(raw_dir, customers=60, seed=11, dirty_rate=0.0, fmt="csv")
    return raw_dir


class PlantedOrders:
    """The orders file planted line by line, remembering each case's line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.header = header_of(path)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        first = dict(zip(self.header, next(csv.reader([lines[1]])), strict=True))
        self.template = {**first, "order_date": "2026-06-01", "status": "completed"}
        self.lines: list[str] = [lines[0]]
        self.at: dict[str, int] = {}
        self.rest = lines[1:]

    def add(self, case: str, text: str) -> None:
        self.at[case] = len(self.lines) + 1
        self.lines.extend(text.splitlines(keepends=True))

    def order(self, order_id: str, **values: str) -> str:
        row = {**self.template, "order_id": order_id, **values}
        return csv_line([row[name] for name in self.header])

    def write(self) -> None:
        self.path.write_text("".join(self.lines), encoding="utf-8")


@pytest.fixture(scope="module")
def planted_orders(
    tmp_path_factory: pytest.TempPathFactory, clean_dir: Path
) -> tuple[Path, PlantedOrders]:
    raw_dir = tmp_path_factory.mktemp("planted_raw")
    for table in TABLES:
        shutil.copy(clean_dir / f"{table}.csv", raw_dir / f"{table}.csv")
    orders = PlantedOrders(raw_dir / "orders.csv")
    # A comment-like line made DuckDB's sniffer guess comment = '#': it and every
    # row whose first field starts with # vanished.
    orders.add("comment_like", "# exported by the CRM on 2026-06-30\n")
    orders.add("hash_row", orders.order("#HASH_ORDER"))
    orders.lines.extend(orders.rest)
    orders.add("multi_line", orders.order("MULTI", product_category="multi\nline"))
    orders.add("after_multi_line", orders.order("AFTER_MULTI"))
    orders.add("too_many_fields", orders.order("TOO_MANY").rstrip("\n") + ",extra\n")
    orders.add("too_few_fields", "TOO_FEW,C00000001,2026-06-01\n")
    unterminated = orders.order("UNTERMINATED", product_category='"oops')
    orders.add("unterminated_quote", unterminated.replace('"""oops"', '"oops'))
    orders.add("after_unterminated", orders.order("AFTER_UNTERMINATED"))
    orders.add("blank", "\n")
    orders.add("whitespace_only", "   \t \n")
    orders.add("huge_field", orders.order("HUGE", amount=HUGE))
    orders.add("last", orders.order("LAST_ORDER"))
    orders.write()

    # service interactions: a quoted field over three lines, a quoted delimiter,
    # "" inside quotes and CRLF line ends (no malformed line)
    interactions = raw_dir / "service_interactions.csv"
    header = header_of(interactions)
    rows = list(csv.DictReader(io.StringIO(interactions.read_text(encoding="utf-8"))))
    rows[1]["channel"] = "phone,\nthen\ne-mail"
    rows[2]["interaction_type"] = 'said "thanks", left'
    with interactions.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)

    # promotions: a first field starting with # in a plain file
    promotions = raw_dir / "promotions.csv"
    lines = promotions.read_text(encoding="utf-8").splitlines(keepends=True)
    promotions.write_text(
        "".join([lines[0], "#" + lines[1].lstrip('"').replace('"', "", 1), *lines[1:]]),
        encoding="utf-8",
    )
    return raw_dir, orders


@pytest.fixture(scope="module")
def planted(
    tmp_path_factory: pytest.TempPathFactory,
    planted_orders: tuple[Path, PlantedOrders],
) -> DbtRun:
    """Staging (with its reconciliation tests) built on the planted files."""
    raw_dir, _ = planted_orders
    run = run_dbt(
        ["build", *STAGING],
        tmp_path_factory.mktemp("planted"),
        raw_dir,
        extra_vars=SMALL_DATA_VARS,
    )
    assert run.success, run.log
    return run


def line_of(planted_orders: tuple[Path, PlantedOrders], case: str) -> int:
    return planted_orders[1].at[case]


def test_every_line_of_the_file_is_in_exactly_one_raw_row(
    planted: DbtRun, planted_orders: tuple[Path, PlantedOrders]
) -> None:
    lines = len(planted_orders[1].lines)
    rows = planted.query(
        "select _source_row, _source_lines from raw.orders order by _source_row"
    )
    covered = [start + i for start, count in rows for i in range(count)]
    assert covered == list(range(2, lines + 1))


def test_a_row_whose_first_field_starts_with_a_hash_is_kept(
    planted: DbtRun, planted_orders: tuple[Path, PlantedOrders]
) -> None:
    assert planted.query(
        "select _source_row from raw.orders where order_id = '#HASH_ORDER'"
    ) == [(line_of(planted_orders, "hash_row"),)]
    assert (
        planted.scalar(
            "select count(*) from staging.stg_crm__orders"
            " where order_id = '#HASH_ORDER'"
        )
        == 1
    )
    first = python_records(planted_orders[0] / "promotions.csv")[0][2]
    assert planted.query(
        "select promotion_id from raw.promotions where _source_row = 2"
    ) == [(first["promotion_id"],)]
    assert str(first["promotion_id"]).startswith("#")


def test_each_malformed_line_is_one_bad_csv_line_reject(
    planted: DbtRun, planted_orders: tuple[Path, PlantedOrders]
) -> None:
    orders = planted_orders[1]
    cases = [
        "comment_like",
        "too_many_fields",
        "too_few_fields",
        "unterminated_quote",
        "blank",
        "whitespace_only",
    ]
    expected = [
        (orders.at[case], "_raw_line", orders.lines[orders.at[case] - 1].rstrip("\n"))
        for case in cases
    ]
    assert (
        planted.query(
            "select rejected._source_row, rejected.reject_column, raw._raw_line"
            " from staging.stg_crm__orders_rejected as rejected"
            " inner join raw.orders as raw using (_source_row)"
            " where rejected.reject_reason = 'bad_csv_line' order by 1"
        )
        == expected
    )


def test_rows_after_a_malformed_line_are_read(
    planted: DbtRun, planted_orders: tuple[Path, PlantedOrders]
) -> None:
    for order_id, case in [
        ("AFTER_UNTERMINATED", "after_unterminated"),
        ("LAST_ORDER", "last"),
    ]:
        assert planted.query(
            "select _source_row from staging.base_crm__orders"
            f" where order_id = '{order_id}' and row_status = 'clean'"
        ) == [(line_of(planted_orders, case),)]


def test_source_row_is_the_editor_line_after_a_multi_line_field(
    planted: DbtRun, planted_orders: tuple[Path, PlantedOrders]
) -> None:
    start = line_of(planted_orders, "multi_line")
    assert line_of(planted_orders, "after_multi_line") == start + 2
    assert planted.query(
        "select _source_row, _source_lines, product_category from raw.orders"
        " where order_id = 'MULTI'"
    ) == [(start, 2, "multi\nline")]
    assert planted.query(
        "select _source_row from raw.orders where order_id = 'AFTER_MULTI'"
    ) == [(start + 2,)]


def test_a_huge_field_is_read_and_rejected_at_its_line(
    planted: DbtRun, planted_orders: tuple[Path, PlantedOrders]
) -> None:
    assert planted.query(
        "select _source_row, reject_reason, reject_column, length(raw_amount)"
        " from staging.stg_crm__orders_rejected where raw_order_id = 'HUGE'"
    ) == [(line_of(planted_orders, "huge_field"), "bad_number", "amount", len(HUGE))]


@pytest.mark.parametrize("table", ["customers", "promotions", "service_interactions"])
def test_raw_rows_equal_pythons_csv_module(
    planted: DbtRun, planted_orders: tuple[Path, PlantedOrders], table: str
) -> None:
    """customers and promotions take DuckDB's reader (plain files), the service
    interactions the exact reader (a field over three lines): both give what
    Python's csv module reads, line numbers included."""
    expected = contract_values(
        python_records(planted_orders[0] / f"{table}.csv"), table
    )
    assert raw_records(planted, table) == expected
    if table == "service_interactions":
        assert [lines for _, lines, _ in expected if lines > 1] == [3]


def delimited_dir(clean_dir: Path, target: Path, delimiter: str) -> Path:
    """clean_dir's files written with another delimiter, a comma in a value."""
    target.mkdir()
    for table in TABLES:
        source = clean_dir / f"{table}.csv"
        rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
        if table == "customers":
            rows[1][rows[0].index("city")] = "Hangzhou, Zhejiang"
        with (target / f"{table}.csv").open("w", encoding="utf-8", newline="") as out:
            csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return target


@pytest.mark.parametrize(("setting", "delimiter"), [(";", ";"), ("tab", "\t")])
def test_raw_csv_delimiter(
    tmp_path: Path, clean_dir: Path, setting: str, delimiter: str
) -> None:
    raw_dir = delimited_dir(clean_dir, tmp_path / "raw", delimiter)
    run = run_dbt(
        ["run-operation", "register_raw_sources"],
        tmp_path / "work",
        raw_dir,
        extra_vars={"raw_csv_delimiter": setting},
    )
    assert run.success, run.log
    for table in TABLES:
        expected = python_records(raw_dir / f"{table}.csv", delimiter)
        assert raw_records(run, table) == contract_values(expected, table), table
    assert (
        run.scalar(
            "select count(*) from raw.customers where city = 'Hangzhou, Zhejiang'"
        )
        == 1
    )


def test_two_csv_columns_of_one_name_stop_naming_them(
    tmp_path: Path, clean_dir: Path
) -> None:
    raw_dir = tmp_path / "raw"
    shutil.copytree(clean_dir, raw_dir)
    orders = raw_dir / "orders.csv"
    lines = orders.read_text(encoding="utf-8").splitlines(keepends=True)
    header = header_of(orders)
    header[header.index("cost")] = " Amount "
    header.append("order_id")
    lines[0] = csv_line(header)
    lines[1:] = [line.rstrip("\n") + ",x\n" for line in lines[1:]]
    orders.write_text("".join(lines), encoding="utf-8")
    run = run_dbt(["run-operation", "register_raw_sources"], tmp_path / "w", raw_dir)
    assert not run.success
    assert (
        f'Raw file {raw_dir}/orders.csv has two columns of one name: "amount" and'
        ' " Amount "; "order_id" and "order_id"'
    ) in run.log


def test_two_parquet_columns_of_one_name_stop_naming_them(
    tmp_path: Path, clean_dir: Path
) -> None:
    raw_dir = tmp_path / "raw"
    shutil.copytree(clean_dir, raw_dir)
    table = pa_csv.read_csv(raw_dir / "customers.csv")
    names = table.column_names
    renamed = table.rename_columns(
        [name if name != "city" else "Customer_ID" for name in names]
    )
    pq.write_table(renamed, raw_dir / "customers.parquet")
    run = run_dbt(["run-operation", "register_raw_sources"], tmp_path / "w", raw_dir)
    assert not run.success
    assert (
        f"Raw file {raw_dir}/customers.parquet has two columns of one name:"
        ' "customer_id" and "Customer_ID"'
    ) in run.log


def test_raw_data_path_is_read_literally_and_shadowing_is_logged(
    tmp_path: Path, clean_dir: Path
) -> None:
    """data[1] exists and is read; as a pattern it would match data1, which holds
    other files. Its promotions.parquet shadows promotions.csv: the log says so."""
    literal = tmp_path / "data[1]"
    shutil.copytree(clean_dir, literal)
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_csv('{clean_dir}/promotions.csv',"
            f" all_varchar = true)) to '{tmp_path}/promotions.parquet'"
        )
    shutil.move(tmp_path / "promotions.parquet", literal / "promotions.parquet")
    decoy = tmp_path / "data1"
    shutil.copytree(clean_dir, decoy)
    lines = (decoy / "orders.csv").read_text(encoding="utf-8").splitlines(True)
    (decoy / "orders.csv").write_text("".join(lines[:3]), encoding="utf-8")
    run = run_dbt(
        ["run", "--select", "base_crm__promotions"],
        tmp_path / "work",
        literal,
        extra_vars=SMALL_DATA_VARS,
    )
    assert run.success, run.log
    orders_lines = len(
        (literal / "orders.csv").read_text(encoding="utf-8").splitlines()
    )
    assert run.query("select count(*), min(_source_file) from raw.orders") == [
        (orders_lines - 1, f"{literal}/orders.csv")
    ]
    assert run.scalar("select min(_source_file) from raw.promotions") == (
        f"{literal}/promotions.parquet"
    )
    shadow = [line for line in run.messages if "shadows" in line]
    assert len(shadow) == 1, run.log
    assert shadow[0].startswith(
        f"raw promotions: {literal}/promotions.parquet (modified "
    )
    assert f"shadows {literal}/promotions.csv (modified " in shadow[0]
    assert "the Parquet file is read" in shadow[0]


def test_raw_data_path_with_a_star_is_not_a_pattern(
    tmp_path: Path, clean_dir: Path
) -> None:
    for name in ["day1", "day2"]:
        shutil.copytree(clean_dir, tmp_path / name)
    pattern = tmp_path / "day*"
    # (the var check lists every problem: an unknown delimiter is one too)
    run = run_dbt(
        ["run", "--select", "base_crm__promotions"],
        tmp_path / "w",
        pattern,
        extra_vars={"raw_csv_delimiter": "|"},
    )
    assert not run.success
    assert f"raw_data_path '{pattern}' is not an existing directory" in run.log
    assert "raw_csv_delimiter must be ',', ';' or tab, got '|'" in run.log
