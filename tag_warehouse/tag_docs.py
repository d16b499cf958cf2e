"""The tag reference table of docs/tags.md, generated from the tag catalogue so the
two cannot drift: `python scripts/render_tag_docs.py` rewrites the block between
the markers (as `python scripts/catalogue.py generate` does), `--check` fails when
docs/tags.md is out of date."""

from __future__ import annotations

import argparse
from pathlib import Path

from tag_warehouse.catalogue.load import CatalogueError, load
from tag_warehouse.catalogue.render import (
    TAG_DOCS,
    TAG_TABLE_END,
    TAG_TABLE_START,
    tag_table,
)
from tag_warehouse.catalogue.render import replace_block as replace_marked

ROOT = Path(__file__).resolve().parent.parent


def render(root: Path = ROOT) -> str:
    """The markdown table of every tag of the catalogue."""
    return tag_table(load(root))


def replace_block(tag_docs: str, table: str) -> str:
    return replace_marked(tag_docs, TAG_TABLE_START, TAG_TABLE_END, table, TAG_DOCS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if out of date")
    args = parser.parse_args(argv)
    docs_path = ROOT / TAG_DOCS
    docs = docs_path.read_text(encoding="utf-8")
    try:
        updated = replace_block(docs, render(ROOT))
    except CatalogueError as error:
        print(error)
        return 2
    if args.check:
        if updated != docs:
            print(
                f"{TAG_DOCS}: tag table out of date: run scripts/catalogue.py generate"
            )
            return 1
        return 0
    docs_path.write_text(updated, encoding="utf-8")
    return 0
