"""Put the project root on sys.path, so the scripts import the project's own package
`tag_warehouse` from this checkout with no `pip install -e .`.

`python scripts/NAME.py` puts scripts/ first on sys.path; each script that imports
tag_warehouse imports this module first (`import _bootstrap  # noqa: F401`).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
