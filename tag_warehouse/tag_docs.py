"""The README's tag reference, generated from the tag catalogue so the two cannot
drift: `python scripts/render_tag_docs.py` rewrites the block between the markers
(as `python scripts/catalogue.py generate` does), `--check` fails when the README
is out of date."""

from __future__ import annotations

import argparse
from pathlib import Path

from tag_warehouse.catalogue.load import CatalogueError, load
from tag_warehouse.catalogue.render import README_END, README_START, readme_table
from tag_warehouse.catalogue.render import replace_block as replace_marked

ROOT = Path(__file__).resolve().parent.parent


def render(root: Path = ROOT) -> str:
    """The markdown table of every tag of the catalogue."""
    return readme_table(load(root))


def replace_block(readme: str, table: str) -> str:
    return replace_marked(readme, README_START, README_END, table, "README.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if out of date")
    args = parser.parse_args(argv)
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    try:
        updated = replace_block(readme, render(ROOT))
    except CatalogueError as error:
        print(error)
        return 2
    if args.check:
        if updated != readme:
            print("README tag table is out of date: run scripts/catalogue.py generate")
            return 1
        return 0
    readme_path.write_text(updated, encoding="utf-8")
    return 0
