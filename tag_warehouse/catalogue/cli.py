"""`python scripts/catalogue.py generate|check`: write the artefacts derived from
the tag catalogue, or fail when a committed one differs from what the catalogue
gives (the drift test). Both validate the catalogue first and print every problem
in one message, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from tag_warehouse.catalogue.compile import tag_metrics
from tag_warehouse.catalogue.load import Catalogue, CatalogueError, load
from tag_warehouse.catalogue.render import (
    DECLARED_DIR,
    GENERATED_MARK,
    MARTS_DIR,
    PREVIEW_DIR,
    TAG_DOCS,
    render_all,
)
from tag_warehouse.catalogue.render_audiences import AUDIENCES_DIR, HISTORY_DIR
from tag_warehouse.catalogue.schema import HandwrittenMetric

ROOT = Path(__file__).resolve().parents[2]
# Folders where every file carrying the GENERATED mark belongs to the generator:
# one the catalogue no longer gives (a removed dimension) is deleted.
MANAGED_DIRS = [
    MARTS_DIR,
    PREVIEW_DIR,
    DECLARED_DIR,
    AUDIENCES_DIR,
    HISTORY_DIR,
    "snapshots",
    "macros/catalogue",
]
HANDWRITTEN_UNIT_TESTS = f"{MARTS_DIR}/_customer_tags__unit_tests.yml"


def rendered(root: Path) -> tuple[Catalogue, dict[str, str]]:
    cat = load(root)
    tag_docs = (root / TAG_DOCS).read_text(encoding="utf-8")
    project = (root / "dbt_project.yml").read_text(encoding="utf-8")
    try:
        files = render_all(cat, tag_docs, project)
    except ValueError as error:
        raise CatalogueError([str(error)]) from error
    return cat, files


def stale_files(root: Path, files: dict[str, str]) -> list[str]:
    """Generated files on disk that the catalogue no longer gives."""
    stale = []
    for folder in MANAGED_DIRS:
        for path in sorted((root / folder).glob("*")):
            relative = path.relative_to(root).as_posix()
            if relative in files or not path.is_file():
                continue
            if GENERATED_MARK in path.read_text(encoding="utf-8", errors="replace"):
                stale.append(relative)
    return stale


def handwritten_test_problems(root: Path, cat: Catalogue) -> list[str]:
    """Hand-written unit tests of a generated mart must give every model the mart
    reads (dbt needs a given for each ref): name the ones a catalogue edit added."""
    path = root / HANDWRITTEN_UNIT_TESTS
    if not path.exists():
        return []
    tests = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(
        "unit_tests", []
    )
    refs: dict[str, set[str]] = {}
    for dim in cat.dimensions:
        tags = dim.tags("active")
        names = {m for tag in tags for m in tag_metrics(tag)} | set(dim.spec.columns)
        refs[dim.mart] = {f"ref('{cat.metrics[n].model}')" for n in names}
    problems = []
    for test in tests:
        wanted = refs.get(test.get("model"))
        if wanted is None:
            continue
        given = {item.get("input") for item in test.get("given", [])}
        for missing in sorted(wanted - given):
            problems.append(
                f"{HANDWRITTEN_UNIT_TESTS}: unit test {test.get('name')}: model"
                f" {test.get('model')} now reads {missing}: add a given for it"
            )
    return problems


def handwritten_metric_problems(root: Path, cat: Catalogue) -> list[str]:
    """Each hand-written metric must be a documented column of its model (the
    models' yml), so a renamed column upstream is named here, not at build."""
    documented: dict[str, set[str]] = {}
    for path in sorted((root / "models").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in data.get("models") or []:
            columns = {column.get("name") for column in model.get("columns") or []}
            documented.setdefault(model.get("name"), set()).update(columns)
    problems = []
    for metric in cat.metrics.values():
        if not isinstance(metric, HandwrittenMetric):
            continue
        column = metric.column or metric.name
        if metric.model not in documented:
            problems.append(
                f"catalogue/metrics.yml: metric {metric.name}: model: {metric.model}"
                " is not a documented model of models/"
            )
        elif column not in documented[metric.model]:
            problems.append(
                f"catalogue/metrics.yml: metric {metric.name}: column: {column} is not"
                f" a documented column of {metric.model}"
            )
    return problems


def generate(root: Path) -> list[str]:
    """Write every generated file; returns the paths that changed or were removed."""
    _, files = rendered(root)
    changed = []
    for relative, text in files.items():
        path = root / relative
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(relative)
    for relative in stale_files(root, files):
        (root / relative).unlink()
        changed.append(f"{relative} (removed)")
    return changed


def check(root: Path) -> list[str]:
    """One line per generated file that differs from the catalogue (or is stale)."""
    cat, files = rendered(root)
    problems = []
    for relative, text in files.items():
        path = root / relative
        if not path.exists():
            problems.append(f"{relative}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{relative}: differs from the catalogue")
    problems += [
        f"{relative}: no longer in the catalogue"
        for relative in stale_files(root, files)
    ]
    return (
        problems
        + handwritten_test_problems(root, cat)
        + handwritten_metric_problems(root, cat)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--project-dir", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    root = args.project_dir.resolve()
    try:
        if args.command == "generate":
            changed = generate(root)
            for relative in changed:
                print(f"wrote {relative}")
            cat = load(root)
            problems = handwritten_test_problems(root, cat)
            problems += handwritten_metric_problems(root, cat)
            for problem in problems:
                print(problem, file=sys.stderr)
            print(f"catalogue: {len(changed)} generated file(s) changed")
            return 1 if problems else 0
        problems = check(root)
    except CatalogueError as error:
        print(error, file=sys.stderr)
        return 2
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            "The generated files are out of date with the catalogue: run"
            " `python scripts/catalogue.py generate`.",
            file=sys.stderr,
        )
        return 1
    print("catalogue: every generated file is up to date")
    return 0
