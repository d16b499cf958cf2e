"""`python scripts/sync.py export|ack|wecom|push-wecom`: the change-only CRM sync
(docs/audiences.md). export writes what changed since the last
acknowledged sync (or the pending export again) to a folder; ack records an export
as applied; wecom turns an export into WeCom mark_tag bodies; push-wecom sends
them (access token from $WECOM_ACCESS_TOKEN)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import _bootstrap  # noqa: F401

from tag_warehouse.sync import FORMATS, SyncError, ack, export
from tag_warehouse.wecom import (
    WeComError,
    load_contacts,
    load_mapping,
    mark_tag_bodies,
    push,
    read_export,
    write_bodies,
)

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
    wecom_parser = commands.add_parser("wecom", help="WeCom mark_tag bodies")
    wecom_parser.add_argument("export_file", type=Path, help="a sync export file")
    wecom_parser.add_argument(
        "--contacts",
        type=Path,
        required=True,
        help="CSV: customer_id, external_userid, userid",
    )
    wecom_parser.add_argument(
        "--mapping", type=Path, default=ROOT / "seeds" / "wecom_corp_tags.csv"
    )
    wecom_parser.add_argument("--out", type=Path, required=True, help="folder")
    push_parser = commands.add_parser("push-wecom", help="send mark_tag bodies")
    push_parser.add_argument("bodies", type=Path, nargs="+", help="JSON Lines files")
    push_parser.add_argument(
        "--base-url", default="https://qyapi.weixin.qq.com", help="%(default)s"
    )
    push_parser.add_argument("--rate", type=float, default=20.0, help="calls/second")
    push_parser.add_argument("--retries", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        if args.command == "wecom":
            return _wecom(args)
        if args.command == "push-wecom":
            return _push(args)
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
    except (SyncError, WeComError) as error:
        print(f"sync: {error}", file=sys.stderr)
        return 2
    return 0


def _wecom(args: argparse.Namespace) -> int:
    result = mark_tag_bodies(
        read_export(args.export_file),
        load_mapping(args.mapping),
        load_contacts(args.contacts),
    )
    for path in write_bodies(result, args.out):
        print(f"wrote {path}")
    print(f"{len(result.bodies)} mark_tag call(s)")
    if result.unmatched:
        print(
            f"{len(result.unmatched)} customer(s) with a corp tag change have no"
            f" WeCom contact in {args.contacts} (listed in the _unmatched.txt file)",
            file=sys.stderr,
        )
    return 0


def _push(args: argparse.Namespace) -> int:
    token = os.environ.get("WECOM_ACCESS_TOKEN", "")
    if not token:
        print(
            "sync: set WECOM_ACCESS_TOKEN (the access token of the app allowed to"
            " edit customer tags)",
            file=sys.stderr,
        )
        return 2
    bodies = []
    for path in args.bodies:
        lines = path.read_text(encoding="utf-8").splitlines()
        bodies += [json.loads(line) for line in lines if line.strip()]
    result = push(bodies, args.base_url, token, args.rate, args.retries)
    print(f"{result.sent} sent, {result.retries} retried, {len(result.failed)} failed")
    for body, problem in result.failed:
        print(f"failed: {problem}: {json.dumps(body, ensure_ascii=False)}")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
