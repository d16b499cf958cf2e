"""`python scripts/audience.py preview "<condition>"`: the size of an audience
condition and a breakdown by two or three tags, from the published serving
database (read-only), before it goes into catalogue/audiences.yml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import _bootstrap  # noqa: F401

from tag_warehouse.audience_preview import DEFAULT_BY, PreviewError, preview
from tag_warehouse.catalogue.load import CatalogueError, load

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("preview", help="size and breakdown of a condition")
    command.add_argument("condition", help="e.g. \"customer_level = 'vip'\"")
    command.add_argument(
        "--by",
        default=",".join(DEFAULT_BY),
        help="one to three tags, comma-separated (default: %(default)s)",
    )
    command.add_argument(
        "--published", type=Path, help="publish folder (default: published/)"
    )
    args = parser.parse_args(argv)
    by = tuple(name.strip() for name in args.by.split(",") if name.strip())
    try:
        result = preview(load(ROOT), args.condition, by, args.published)
    except (PreviewError, CatalogueError) as error:
        print(error, file=sys.stderr)
        return 2
    share = result.size / result.customers if result.customers else 0.0
    print(f"{result.size:,} of {result.customers:,} customers ({share:.1%})")
    print("\t".join([*result.by, "customers"]))
    for row in result.breakdown:
        print("\t".join(str(value) for value in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
