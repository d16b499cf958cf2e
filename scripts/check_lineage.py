"""Check that each tag mart reads only its tags' authoritative sources.

    python scripts/check_lineage.py [--manifest target/manifest.json]

Exit code 1 (and one line per offending mart) when a mart's lineage reaches a raw
source the tag registry does not name for it.
"""

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.lineage import main

if __name__ == "__main__":
    raise SystemExit(main())
