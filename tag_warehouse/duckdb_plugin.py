"""dbt-duckdb plugin of the warehouse profile (profiles.yml `plugins`).

DuckDB lets one process write a database file, and none while another holds it.
When the warehouse is in use (a second build, a BI tool or a notebook with it
open), dbt-duckdb's `duckdb.connect` fails with a DuckDB IOException that dbt
prints as a traceback of some 220 lines. Before dbt-duckdb opens the file, this
plugin opens it once itself; when the file is locked it raises an error that
dbt-duckdb reports as one line naming the file, the other process and what to do.
Any other failure is left to dbt-duckdb, which then fails as it would have.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.plugins import BasePlugin

# DuckDB's words for a file another process holds, e.g. 'Could not set lock on
# file "w.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 4242) ...'.
_LOCKED = re.compile(r"could not set lock on file|conflicting lock", re.IGNORECASE)
_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
SERVING_DB = "published/serving.duckdb"


class WarehouseInUseError(RuntimeError):
    """The warehouse file is locked by another process.

    A RuntimeError, so dbt-duckdb turns it into dbt's FailedToConnectError: one
    line, no traceback."""


def in_use_message(path: str, duckdb_message: str) -> str:
    """What to tell the user when DuckDB refused `path` because it is in use."""
    holder = _HOLDER.search(duckdb_message)
    by = (
        f" (PID {holder['pid']}, {holder['program']})"
        if holder
        else " (DuckDB does not say which)"
    )
    return (
        f"{path} is in use by another process{by}: wait for it to finish or close"
        f" it, then run again. BI tools and notebooks should read {SERVING_DB}"
        " (docs/bi.md), never the warehouse."
    )


def check_not_in_use(path: str, config: dict[str, Any]) -> None:
    """Raise WarehouseInUseError when another process holds the DuckDB file `path`.

    Opens the file the way dbt-duckdb is about to (read-write, same config) and
    closes it again; an in-memory database is never in use."""
    if path in ("", ":memory:") or path.startswith(("md:", "motherduck:")):
        return
    try:
        probe = duckdb.connect(path, read_only=False, config=config)
    except duckdb.IOException as error:
        if _LOCKED.search(str(error)):
            raise WarehouseInUseError(in_use_message(path, str(error))) from None
        return  # not a lock: dbt-duckdb's own connect reports it
    except duckdb.Error:
        return  # e.g. open in this process with another configuration: as above
    probe.close()


class Plugin(BasePlugin):
    """Checks the warehouse file is free before each time dbt-duckdb opens it."""

    def update_connection_config(
        self, creds: DuckDBCredentials, config: dict[str, Any]
    ) -> None:
        check_not_in_use(creds.path, config)
