"""The README's tag table is generated from the registry and must not drift."""

from tag_warehouse.tag_docs import main


def test_readme_tag_table_matches_the_registry() -> None:
    assert main(["--check"]) == 0
