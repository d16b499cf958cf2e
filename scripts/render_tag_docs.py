"""Rewrite the tag table of docs/tags.md from the tag catalogue (--check: verify
only)."""

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.tag_docs import main

if __name__ == "__main__":
    raise SystemExit(main())
