"""Render the tag dashboard (one self-contained HTML file) from the published marts.

    .venv/bin/python scripts/report.py                          # zh, published/current
    .venv/bin/python scripts/report.py --lang en --out dashboard_en.html
    .venv/bin/python scripts/report.py --version-dir published/20261126T...-1a2b3c4d

The page has no script and loads nothing: it opens offline. See docs/bi.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.publish import PublishError, current_version_dir, default_publish_dir
from tag_warehouse.report import LANGUAGES, write_report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--published",
        type=Path,
        default=None,
        help="publish folder; its current version is used"
        " (default: $WAREHOUSE_PUBLISH_DIR or published)",
    )
    parser.add_argument(
        "--version-dir", type=Path, default=None, help="render this version folder"
    )
    parser.add_argument(
        "--lang", choices=LANGUAGES, default="zh", help="label language"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="HTML file to write (default: <publish folder>/dashboard_<lang>.html)",
    )
    args = parser.parse_args(argv)
    published = args.published or default_publish_dir()
    try:
        version_dir = args.version_dir or current_version_dir(published)
    except PublishError as error:
        print(f"report failed: {error} (run scripts/publish.py first)", file=sys.stderr)
        return 1
    out = args.out or published / f"dashboard_{args.lang}.html"
    board = write_report(version_dir, out, args.lang)
    print(f"dashboard ({args.lang}, version {board.version}) -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
