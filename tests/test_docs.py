"""The docs: the tag table of docs/tags.md is generated from the registry and must
not drift, and every relative link of README.md and docs/*.md reaches a file (and
a heading of it, when the link names one)."""

from __future__ import annotations

import re
from pathlib import Path

from tag_warehouse.tag_docs import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target#anchor): the target up to a space, ")" or "#".
LINK = re.compile(r"\]\(([^)\s#]*)(?:#([^)\s]*))?\)")
FENCE = re.compile(r"^```.*?^```", flags=re.S | re.M)
CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6} (.+)$", flags=re.M)


def test_tag_docs_table_matches_the_registry() -> None:
    assert main(["--check"]) == 0


def prose(path: Path) -> str:
    """A markdown file without its code blocks."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces -> -."""
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in HEADING.findall(prose(path))
    }


def relative_links(path: Path) -> list[tuple[str, str]]:
    """(target, anchor) of each relative link of a markdown file, code left out."""
    return [
        (target, anchor)
        for target, anchor in LINK.findall(CODE.sub("", prose(path)))
        if not re.match(r"[a-z]+:", target)
    ]


def test_relative_links_of_the_readme_and_docs_reach_a_file() -> None:
    """Links that leave the repository (the spec in ../shared) depend on where it
    is checked out and are not checked."""
    broken = []
    for page in PAGES:
        for target, anchor in relative_links(page):
            path = (page.parent / target) if target else page
            if not path.resolve().is_relative_to(ROOT):
                continue
            if not path.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                broken.append(f"{page.relative_to(ROOT)}: {target}#{anchor}")
    assert broken == []
    assert sum(len(relative_links(page)) for page in PAGES) > 10
