"""Generate the tag marts, registry, docs, tests and history models from the catalogue.

    python scripts/catalogue.py generate   # validate catalogue/*.yml, write the files
    python scripts/catalogue.py check      # fail when a generated file is stale

Exit code 2 (and one message listing every problem) when the catalogue is invalid.
"""

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.catalogue.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
