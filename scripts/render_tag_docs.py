"""Rewrite the README's tag table from the tag catalogue (--check: verify only)."""

from tag_warehouse.tag_docs import main

if __name__ == "__main__":
    raise SystemExit(main())
