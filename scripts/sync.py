"""`python scripts/sync.py export|ack`: the change-only CRM sync (README "Audiences
and CRM sync"). export writes what changed since the last acknowledged sync (or
the pending export again) to a folder; ack records an export as applied."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import _bootstrap  # noqa: F401

from tag_warehouse.sync import FORMATS, SyncError, ack, export

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get("WAREHOUSE_DB", ROOT / "warehouse.duckdb")),
        help="the warehouse DuckDB file (default: $WAREHOUSE_DB or warehouse.duckdb)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export_parser = commands.add_parser("export", help="write the changes to a folder")
    export_parser.add_argument("--out", type=Path, required=True, help="folder")
    export_parser.add_argument("--format", choices=FORMATS, default="csv")
    ack_parser = commands.add_parser("ack", help="record an export as applied")
    ack_parser.add_argument("export_id")
    args = parser.parse_args(argv)
    try:
        if args.command == "export":
            done = export(args.warehouse, args.out, args.format)
            state = "pending export written again" if done.resent else "new export"
            print(
                f"{done.export_id}: {done.row_count} change(s) -> {done.path} ({state};"
                f" run `python scripts/sync.py ack {done.export_id}` once applied)"
            )
        elif ack(args.warehouse, args.export_id):
            print(f"{args.export_id}: acknowledged")
        else:
            print(f"{args.export_id}: already acknowledged")
    except SyncError as error:
        print(f"sync: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
