"""Single authoritative source: a tag mart's lineage may reach only the raw sources
the tag registry names for its tags (plus the customers table, whose clean rows are
the population of every mart: one row per cleaned customer).

Works on dbt's target/manifest.json, so it checks the real compiled DAG.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

POPULATION_SOURCE = "customers"
# The tag marts' folder under models/ (the history models beside them are named
# customer_tags_<dimension>_history but are not marts).
TAG_MARTS_FOLDER = "marts/customer_tags/"


def read_registry(
    path: Path, statuses: tuple[str, ...] = ("active",)
) -> list[dict[str, str]]:
    """The registry rows of the given statuses (default: the active tags, the ones
    in the published marts; drafts live in preview models, deprecated tags only in
    the history)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            row
            for row in csv.DictReader(handle)
            if row.get("status", "active") in statuses
        ]


def allowed_sources(registry: Iterable[Mapping[str, str]]) -> dict[str, set[str]]:
    """Mart name -> raw source tables its tags may come from (population included)."""
    allowed: dict[str, set[str]] = {}
    for row in registry:
        sources = set(row["authoritative_source"].split("|"))
        allowed.setdefault(row["mart"], {POPULATION_SOURCE}).update(sources)
    return allowed


def upstream_sources(manifest: Mapping[str, Any], unique_id: str) -> set[str]:
    """Names of the source tables a node depends on, directly or through models."""
    nodes = manifest["nodes"]
    sources: set[str] = set()
    pending, seen = [unique_id], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if current.startswith("source."):
            sources.add(manifest["sources"][current]["name"])
        elif current in nodes:
            pending.extend(nodes[current].get("depends_on", {}).get("nodes", []))
    return sources


def lineage_violations(
    manifest: Mapping[str, Any], registry: Iterable[Mapping[str, str]]
) -> list[str]:
    """One line per mart that reaches a source its tags do not name; [] when clean."""
    allowed = allowed_sources(registry)
    problems = []
    for unique_id, node in manifest["nodes"].items():
        name = node["name"]
        in_folder = node.get("path", "").startswith(TAG_MARTS_FOLDER)
        if node["resource_type"] != "model" or not in_folder:
            continue
        if name not in allowed:
            problems.append(f"{name}: no tag of the registry lives in this mart")
            continue
        extra = upstream_sources(manifest, unique_id) - allowed[name]
        if extra:
            problems.append(
                f"{name} reads source(s) {', '.join(sorted(extra))} but its tags'"
                f" authoritative sources are {', '.join(sorted(allowed[name]))}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=Path("target/manifest.json"))
    parser.add_argument("--registry", type=Path, default=Path("seeds/tag_registry.csv"))
    args = parser.parse_args(argv)
    if not args.manifest.exists():
        parser.error(f"{args.manifest} not found: run `dbt parse` first")
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    problems = lineage_violations(manifest, read_registry(args.registry))
    for problem in problems:
        print(problem)
    if not problems:
        print("lineage agrees with the tag registry")
    return 1 if problems else 0
