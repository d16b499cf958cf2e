"""The tag marts, one per tag dimension of the catalogue, in registry order: the
marts of the active tags in seeds/tag_registry.csv (generated from catalogue/)."""

import csv
from pathlib import Path

REGISTRY = Path(__file__).resolve().parent.parent / "seeds" / "tag_registry.csv"


def tag_marts(registry: Path = REGISTRY) -> tuple[str, ...]:
    """Mart names of the active tags, in registry order."""
    with registry.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["status"] == "active"]
    return tuple(dict.fromkeys(row["mart"] for row in rows))


TAG_MARTS = tag_marts()
