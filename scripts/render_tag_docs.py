"""Rewrite the README's tag table from seeds/tag_registry.csv (--check: verify only)."""

from tag_warehouse.tag_docs import main

if __name__ == "__main__":
    raise SystemExit(main())
