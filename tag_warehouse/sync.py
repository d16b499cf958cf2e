"""Change-only CRM sync (issue #17 item 3): what changed since the last
acknowledged sync, one row per customer and tag or audience.

The state lives in the warehouse, schema `sync`:
- `sync.exports`: one row per export (id, as_of_date, format, file, rows, when
  exported and acknowledged);
- `sync.sent`: the image the CRM holds, i.e. the one of the last acknowledged
  export (customer, kind, name, value, labels);
- `sync.pending`: the image an unacknowledged export was computed from.

`export` diffs the current image (marts.customer_tags, marts.audience_members)
with `sync.sent`, stores the image as pending and writes the changes to one
file. While an export is unacknowledged, `export` writes that same export again
(same id, identical file) even if the warehouse has been rebuilt since: one
export is outstanding at a time, so a crash between export and ack neither
loses a change (the next export starts from the image the acknowledged one
left) nor duplicates one (a consumer that applies each export id once sees
each change once). `ack` makes the pending image the sent one. The first
export is a full load (every row `added`)."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

Format = Literal["csv", "parquet", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "parquet", "jsonl")
SCHEMA = "sync"
IMAGE_COLUMNS = (
    "customer_id, kind, name, value, label_zh, label_en, reason_zh, reason_en"
)

CURRENT_IMAGE = """
select
    customer_id,
    'tag' as kind,
    tag as name,
    value,
    label_zh,
    label_en,
    reason_zh,
    reason_en
from marts.customer_tags
union all
select
    members.customer_id,
    'audience' as kind,
    members.audience as name,
    case when members.is_holdout then 'holdout' else 'member' end as value,
    registry.label_zh,
    registry.label_en,
    case
        when members.is_holdout then '对照组（不触达）：' || registry.condition
        else '人群条件：' || registry.condition
    end as reason_zh,
    case
        when members.is_holdout then 'holdout (do not contact): ' || registry.condition
        else 'audience condition: ' || registry.condition
    end as reason_en
from marts.audience_members as members
inner join reference.audience_registry as registry
    on members.audience = registry.audience
"""

STATE_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.exports (
    export_id varchar primary key,
    sequence_number integer not null,
    as_of_date date,
    format varchar not null,
    file_name varchar not null,
    row_count bigint not null,
    exported_at timestamp not null,
    acked_at timestamp
);
create table if not exists {SCHEMA}.sent (
    customer_id varchar not null,
    kind varchar not null,
    name varchar not null,
    value varchar,
    label_zh varchar,
    label_en varchar,
    reason_zh varchar,
    reason_en varchar
);
create table if not exists {SCHEMA}.pending (
    export_id varchar not null,
    customer_id varchar not null,
    kind varchar not null,
    name varchar not null,
    value varchar,
    label_zh varchar,
    label_en varchar,
    reason_zh varchar,
    reason_en varchar
);
"""

CHANGES = f"""
with

image as (
    select {IMAGE_COLUMNS} from {SCHEMA}.pending where export_id = $export_id
),

sent as (
    select {IMAGE_COLUMNS} from {SCHEMA}.sent
),

compared as (
    select
        coalesce(image.customer_id, sent.customer_id) as customer_id,
        coalesce(image.kind, sent.kind) as kind,
        coalesce(image.name, sent.name) as name,
        case
            when sent.customer_id is null then 'added'
            when image.customer_id is null then 'removed'
            else 'changed'
        end as change_type,
        sent.value as old_value,
        image.value as new_value,
        coalesce(image.label_zh, sent.label_zh) as label_zh,
        coalesce(image.label_en, sent.label_en) as label_en,
        case
            when image.customer_id is not null then image.reason_zh
            when sent.kind = 'audience' then '已离开该人群'
            else '该标签不再分配'
        end as reason_zh,
        case
            when image.customer_id is not null then image.reason_en
            when sent.kind = 'audience' then 'left the audience'
            else 'the tag is no longer assigned'
        end as reason_en
    from image
    full outer join sent
        on
            image.customer_id = sent.customer_id
            and image.kind = sent.kind
            and image.name = sent.name
    where
        image.customer_id is null
        or sent.customer_id is null
        or image.value is distinct from sent.value
)

select
    $export_id as export_id,
    $as_of_date as as_of_date,
    customer_id,
    kind,
    name,
    change_type,
    old_value,
    new_value,
    label_zh,
    label_en,
    reason_zh,
    reason_en
from compared
order by kind, name, customer_id
"""


class SyncError(Exception):
    """A sync that cannot run; the message says what to do."""


@dataclass(frozen=True)
class Export:
    export_id: str
    path: Path
    row_count: int
    as_of_date: dt.date | None
    resent: bool  # True when this is the pending export written again


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise SyncError(f"{warehouse}: no warehouse there (set --warehouse)")
    con = duckdb.connect(str(warehouse))
    con.execute(STATE_DDL)
    return con


def _pending(con: duckdb.DuckDBPyConnection) -> tuple | None:
    return con.execute(
        f"select export_id, as_of_date, format, file_name, row_count"
        f" from {SCHEMA}.exports where acked_at is null"
    ).fetchone()


def changes_sql(export_id: str, as_of: dt.date | None) -> str:
    """The changes query of an export (its id is ours: digits and _ only)."""
    if not re.fullmatch(r"\d{6}_(\d{8}|empty)", export_id):
        raise SyncError(f"export {export_id}: not an export id (like 000001_20260630)")
    date = f"cast('{as_of.isoformat()}' as date)" if as_of else "cast(null as date)"
    return CHANGES.replace("$export_id", f"'{export_id}'").replace("$as_of_date", date)


def file_name(export_id: str, fmt: Format) -> str:
    return f"crm_changes_{export_id}.{fmt}"


def _write(
    con: duckdb.DuckDBPyConnection,
    export_id: str,
    as_of: dt.date | None,
    out_dir: Path,
    fmt: Format,
) -> tuple[Path, int]:
    """The changes of the export to out_dir, atomically (a temp file renamed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / file_name(export_id, fmt)
    temporary = out_dir / f".{path.name}.tmp"
    options = {
        "csv": "(format csv, header true)",
        "parquet": "(format parquet)",
        "jsonl": "(format json)",
    }[fmt]
    query = changes_sql(export_id, as_of)
    literal = str(temporary).replace("'", "''")
    con.execute(f"copy ({query}) to '{literal}' {options}")
    count = con.execute(f"select count(*) from ({query})").fetchone()[0]
    os.replace(temporary, path)
    return path, int(count)


def export(
    warehouse: Path, out_dir: Path, fmt: Format = "csv", now: dt.datetime | None = None
) -> Export:
    """Write the changes since the last acknowledged export (or the pending
    export again); returns what was written."""
    if fmt not in FORMATS:
        raise SyncError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
    with connect(warehouse) as con:
        pending = _pending(con)
        if pending is not None:
            export_id, as_of, pending_fmt, _, _ = pending
            if pending_fmt != fmt:
                raise SyncError(
                    f"export {export_id} is pending in format {pending_fmt}: export"
                    f" it again with --format {pending_fmt}, or ack it first"
                )
            path, count = _write(con, export_id, as_of, out_dir, fmt)
            return Export(export_id, path, count, as_of, resent=True)
        missing = [
            name
            for schema, name in (
                ("marts", "customer_tags"),
                ("marts", "audience_members"),
                ("reference", "audience_registry"),
            )
            if not con.execute(
                "select count(*) from information_schema.tables"
                " where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()[0]
        ]
        if missing:
            raise SyncError(
                f"{warehouse}: no {', '.join(missing)}: run `dbt build` first"
            )
        as_of = con.execute(
            "select max(as_of_date) from marts.customer_tags"
        ).fetchone()[0]
        sequence = con.execute(f"select count(*) + 1 from {SCHEMA}.exports").fetchone()[
            0
        ]
        stamp = as_of.strftime("%Y%m%d") if as_of else "empty"
        export_id = f"{sequence:06d}_{stamp}"
        con.execute("begin transaction")
        try:
            con.execute(
                f"insert into {SCHEMA}.pending select ?, {IMAGE_COLUMNS}"
                f" from ({CURRENT_IMAGE})",
                [export_id],
            )
            path, count = _write(con, export_id, as_of, out_dir, fmt)
            con.execute(
                f"insert into {SCHEMA}.exports values (?, ?, ?, ?, ?, ?, ?, null)",
                [
                    export_id,
                    sequence,
                    as_of,
                    fmt,
                    path.name,
                    count,
                    now or dt.datetime.now(dt.UTC).replace(tzinfo=None),
                ],
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return Export(export_id, path, count, as_of, resent=False)


def ack(warehouse: Path, export_id: str, now: dt.datetime | None = None) -> bool:
    """Record the export as applied by the CRM: its image becomes the sent one.
    False when it was acknowledged already (ack is idempotent)."""
    with connect(warehouse) as con:
        row = con.execute(
            f"select acked_at from {SCHEMA}.exports where export_id = ?", [export_id]
        ).fetchone()
        if row is None:
            pending = _pending(con)
            hint = f" (pending: {pending[0]})" if pending else " (none is pending)"
            raise SyncError(f"export {export_id}: no such export{hint}")
        if row[0] is not None:
            return False
        con.execute("begin transaction")
        try:
            con.execute(f"delete from {SCHEMA}.sent")
            con.execute(
                f"insert into {SCHEMA}.sent select {IMAGE_COLUMNS}"
                f" from {SCHEMA}.pending where export_id = ?",
                [export_id],
            )
            con.execute(
                f"delete from {SCHEMA}.pending where export_id = ?", [export_id]
            )
            con.execute(
                f"update {SCHEMA}.exports set acked_at = ? where export_id = ?",
                [now or dt.datetime.now(dt.UTC).replace(tzinfo=None), export_id],
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return True
