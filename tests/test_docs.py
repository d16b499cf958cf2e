"""The docs: the tag table of docs/tags.md is generated from the registry and must
not drift, and every relative link of README.md and docs/*.md reaches a file."""

from __future__ import annotations

import re
from pathlib import Path

from tag_warehouse.tag_docs import main

ROOT = Path(__file__).resolve().parent.parent
# [text](target) outside inline code; the target up to a space, ")" or "#".
LINK = re.compile(r"\]\(([^)\s#]*)(#[^)\s]*)?\)")
FENCE = re.compile(r"^```.*?^```", flags=re.S | re.M)
CODE = re.compile(r"`[^`\n]*`")


def test_tag_docs_table_matches_the_registry() -> None:
    assert main(["--check"]) == 0


def relative_links(path: Path) -> list[str]:
    """The relative link targets of a markdown file, code blocks left out."""
    text = CODE.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))
    return [
        target
        for target, _ in LINK.findall(text)
        if target and not re.match(r"[a-z]+:", target)
    ]


def test_relative_links_of_the_readme_and_docs_reach_a_file() -> None:
    """Links that leave the repository (the spec in ../shared) depend on where it
    is checked out and are not checked."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [
        f"{page.relative_to(ROOT)}: {target}"
        for page in pages
        for target in relative_links(page)
        if (page.parent / target).resolve().is_relative_to(ROOT)
        and not (page.parent / target).exists()
    ]
    assert broken == []
    assert sum(len(relative_links(page)) for page in pages) > 10
