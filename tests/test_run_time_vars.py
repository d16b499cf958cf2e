"""The parsed project does not depend on the run-time-only vars.

Test builds that differ only in RUN_TIME_ONLY_VARS (as_of_date, the raw and
override file paths) share one dbt parse (tests/dbt_helpers.py cached_parse). A
model config, a test's `where` or severity, or a Python model's meta that
rendered one of those vars would then keep the value of the build that parsed:
two parses with other values of every one of them must give the same manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner
from dbt_helpers import AS_OF, FIXTURES, ROOT, RUN_TIME_ONLY_VARS

# Two values of every run-time-only var (both directories exist: the var check
# does not run in a parse, but a path is a path).
VALUES: dict[str, tuple[str, str]] = {
    "as_of_date": (AS_OF, "2025-01-31"),
    "raw_data_path": (str(FIXTURES / "raw_dirty"), str(ROOT / "data")),
    "tag_overrides_path": ("", "overrides/tag_overrides.csv"),
}
# Manifest keys that say when or by whom a parse ran, not what it parsed.
PARSE_TIME_KEYS = {"created_at", "metadata"}


def parsed(workdir: Path, variables: dict[str, str]) -> dict[str, Any]:
    """A full parse (no saved parse reused) of the project, as its manifest."""
    target = workdir / "target"
    result = dbtRunner().invoke(
        [
            "parse",
            "--no-partial-parse",
            "--project-dir",
            str(ROOT),
            "--profiles-dir",
            str(ROOT),
            "--target-path",
            str(target),
            "--log-path",
            str(workdir / "logs"),
            "--vars",
            json.dumps(variables),
            "--quiet",
        ]
    )
    assert result.success, result.exception
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    return without_parse_time(manifest)


def without_parse_time(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: without_parse_time(item)
            for key, item in value.items()
            if key not in PARSE_TIME_KEYS
        }
    if isinstance(value, list):
        return [without_parse_time(item) for item in value]
    return value


def test_run_time_only_vars_leave_the_parse_unchanged(tmp_path: Path) -> None:
    assert set(VALUES) == RUN_TIME_ONLY_VARS
    first = parsed(tmp_path / "first", {name: pair[0] for name, pair in VALUES.items()})
    second = parsed(
        tmp_path / "second", {name: pair[1] for name, pair in VALUES.items()}
    )
    changed = [
        f"{section}: {key}"
        for section, nodes in first.items()
        if isinstance(nodes, dict)
        for key in sorted(nodes.keys() | second[section].keys())
        if nodes.get(key) != second[section].get(key)
    ]
    assert changed == [], "parsed with a run-time-only var's value"
    assert first == second
