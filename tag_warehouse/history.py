"""Copy the history kept by the old dbt snapshots into the history models, once.

Before issue #23 the tag and audience history were dbt snapshots
(`snapshots.<name>_snapshot`: a version per customer when a column changed, dated
by its as_of_date). The history is now models keyed by as_of_date
(`history.<name>_history`, models/history/). `migrate_snapshots` copies each
snapshot version into the history at its as_of_date: a sparse slice of the
customers versioned that day (the version logic reads them as the snapshot's
versions). A date the history already holds is never touched, so a second run
copies nothing. When a date holds two versions of one customer (the date was
built twice), the later one (dbt_valid_from) is kept, as a rebuild would.

DuckDB and PostgreSQL only: Spark never had snapshots (they need MERGE)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

SNAPSHOT_SCHEMA = "snapshots"
HISTORY_SCHEMA = "history"
SNAPSHOT_SUFFIX = "_snapshot"
HISTORY_SUFFIX = "_history"
KEY_COLUMNS = ("customer_id", "as_of_date")


class HistoryError(Exception):
    """A migration that cannot run (no warehouse, an unsupported engine)."""


class Cursor(Protocol):
    def execute(self, sql: str) -> Any: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class Migrated:
    """What one snapshot gave its history model."""

    snapshot: str
    history: str
    copied_dates: tuple[dt.date, ...]
    rows: int
    kept_dates: tuple[dt.date, ...]  # already in the history: left alone
    created: bool  # the history table did not exist and was created

    def summary(self) -> str:
        text = f"{self.snapshot} -> {self.history}: {self.rows} rows copied"
        if self.copied_dates:
            text += f" for {_dates(self.copied_dates)}"
        else:
            text += " (no date to copy)"
        if self.kept_dates:
            text += (
                f"; {_dates(self.kept_dates)} already in the history, left as they are"
            )
        if self.created:
            text += f" ({self.history} created)"
        return text


def _dates(dates: Sequence[dt.date]) -> str:
    if len(dates) == 1:
        return f"1 date ({dates[0]})"
    return f"{len(dates)} dates ({min(dates)} .. {max(dates)})"


def _quoted(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


def _rows(cursor: Cursor, sql: str) -> list[tuple[Any, ...]]:
    cursor.execute(sql)
    return cursor.fetchall()


def _tables(cursor: Cursor, schema: str) -> set[str]:
    rows = _rows(
        cursor,
        "select table_name from information_schema.tables"
        f" where table_schema = '{schema}'",
    )
    return {name for (name,) in rows}


def _columns(cursor: Cursor, schema: str, table: str) -> list[str]:
    rows = _rows(
        cursor,
        "select column_name from information_schema.columns"
        f" where table_schema = '{schema}' and table_name = '{table}'"
        " order by ordinal_position",
    )
    return [name for (name,) in rows]


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def migrate_table(cursor: Cursor, snapshot: str, history: str) -> Migrated:
    """Copy the versions of snapshots.<snapshot> into history.<history> at every
    as_of_date the history does not hold yet (creating the table if needed)."""
    source = _quoted(SNAPSHOT_SCHEMA, snapshot)
    target = _quoted(HISTORY_SCHEMA, history)
    values = [
        column
        for column in _columns(cursor, SNAPSHOT_SCHEMA, snapshot)
        if column not in KEY_COLUMNS and not column.startswith("dbt_")
    ]
    created = history not in _tables(cursor, HISTORY_SCHEMA)
    if created:
        cursor.execute(f'create schema if not exists "{HISTORY_SCHEMA}"')
        cursor.execute(
            f"create table {target} as select customer_id, as_of_date,"
            + "".join(f" {column}," for column in values)
            + f" cast(dbt_valid_from as timestamp) as recorded_at from {source}"
            " where 1 = 0"
        )
    history_columns = [
        column
        for column in _columns(cursor, HISTORY_SCHEMA, history)
        if column not in (*KEY_COLUMNS, "recorded_at")
    ]
    present = {
        _as_date(day)
        for (day,) in _rows(cursor, f"select distinct as_of_date from {target}")
    }
    recorded = {
        _as_date(day)
        for (day,) in _rows(cursor, f"select distinct as_of_date from {source}")
    }
    copied = tuple(sorted(recorded - present))
    kept = tuple(sorted(recorded & present))
    selected = [
        column if column in values else f"null as {column}"
        for column in history_columns
    ]
    names = ", ".join([*KEY_COLUMNS, *history_columns, "recorded_at"])
    latest = (
        f"select customer_id, as_of_date, {', '.join([*selected, ''])}"
        "cast(dbt_valid_from as timestamp) as recorded_at,"
        " row_number() over (partition by customer_id, as_of_date"
        " order by dbt_valid_from desc) as version_rank"
        f" from {source}"
        f" where as_of_date not in (select distinct as_of_date from {target})"
    )
    rows = 0
    if copied:
        rows = int(
            _rows(
                cursor,
                f"select count(*) from ({latest}) as versions where version_rank = 1",
            )[0][0]
        )
        cursor.execute(
            f"insert into {target} ({names}) select {names} from ({latest})"
            " as versions where version_rank = 1"
        )
    return Migrated(snapshot, history, copied, rows, kept, created)


def migrate_snapshots(cursor: Cursor) -> list[Migrated]:
    """Every snapshots.<name>_snapshot into history.<name>_history."""
    snapshots = sorted(
        name
        for name in _tables(cursor, SNAPSHOT_SCHEMA)
        if name.endswith(SNAPSHOT_SUFFIX)
    )
    return [
        migrate_table(cursor, name, name.removesuffix(SNAPSHOT_SUFFIX) + HISTORY_SUFFIX)
        for name in snapshots
    ]


def migrate_duckdb(warehouse: Path) -> list[Migrated]:
    """migrate_snapshots on a DuckDB file, in one transaction."""
    import duckdb

    if not warehouse.exists():
        raise HistoryError(f"no warehouse at {warehouse} (set --warehouse)")
    with duckdb.connect(str(warehouse)) as con:
        con.begin()
        migrated = migrate_snapshots(con)
        con.commit()
    return migrated


def migrate_postgres() -> list[Migrated]:
    """migrate_snapshots on the PostgreSQL of WAREHOUSE_PG_*, in one transaction."""
    from tag_warehouse.engines import EngineError, PostgresSettings

    try:
        connection = PostgresSettings.from_env().connect_or_explain()
    except EngineError as error:
        raise HistoryError(str(error)) from error
    try:
        with connection, connection.cursor() as cursor:
            return migrate_snapshots(cursor)
    finally:
        connection.close()
