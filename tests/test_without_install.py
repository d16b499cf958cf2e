"""`pip install -r requirements.txt`, then dbt and every script work from the project
root: nothing needs the project's own package `tag_warehouse` to be installed.

Each command runs in a fresh Python that cannot import tag_warehouse from
site-packages (an editable or regular install of it is hidden), with no PYTHONPATH
and the working directory not on sys.path (`-I`), as after a plain
`pip install -r requirements.txt`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dbt_helpers import AS_OF, FIXTURES, MODELS_ONLY, ROOT, SMALL_DATA_VARS

# Runs before the command: tag_warehouse is found only outside site-packages.
HIDE_INSTALLED_PACKAGE = """
import importlib.machinery, os, site, sys
installed = {
    os.path.realpath(path)
    for path in [*site.getsitepackages(), site.getusersitepackages()]
}

class NotInstalled:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "tag_warehouse":
            return None
        search = [
            entry for entry in sys.path
            if os.path.realpath(entry or ".") not in installed
        ]
        spec = importlib.machinery.PathFinder.find_spec(name, search)
        if spec is None:
            raise ModuleNotFoundError("No module named 'tag_warehouse'", name=name)
        return spec

sys.meta_path.insert(0, NotInstalled)
"""
RUN_DBT = "from dbt.cli.main import cli\nsys.argv[0] = 'dbt'\ncli()\n"
# `python scripts/NAME.py`: Python puts the script's folder first on sys.path.
RUN_SCRIPT = (
    "import runpy\nsys.argv.pop(0)\nsys.path.insert(0, os.path.dirname(sys.argv[0]))\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)
SCRIPTS = sorted(
    path.name
    for path in (ROOT / "scripts").glob("*.py")
    if not path.name.startswith("_")
    and "tag_warehouse" in path.read_text(encoding="utf-8")
)


def run_uninstalled(
    code: str, args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """python -I -c HIDE_INSTALLED_PACKAGE+code args, from the project root."""
    return subprocess.run(
        [sys.executable, "-I", "-c", HIDE_INSTALLED_PACKAGE + code, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_hidden_package_is_really_hidden() -> None:
    done = run_uninstalled("import tag_warehouse", [])
    assert done.returncode != 0
    assert "No module named 'tag_warehouse'" in done.stderr


def test_dbt_builds_the_python_models_without_the_package_installed(
    tmp_path: Path,
) -> None:
    variables = {
        "raw_data_path": str(FIXTURES / "raw_dirty"),
        "as_of_date": AS_OF,
        **SMALL_DATA_VARS,
    }
    args = [
        "build",
        "--select",
        "+int_customers_ltv_predicted",
        *MODELS_ONLY,
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
        "--vars",
        json.dumps(variables),
    ]
    env = {
        "WAREHOUSE_DB": str(tmp_path / "w.duckdb"),
        "WAREHOUSE_TEMP_DIR": str(tmp_path / "tmp"),
    }
    done = run_uninstalled(RUN_DBT, args, env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "ModuleNotFoundError" not in output
    assert "int_customers_ltv_predicted" in output


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_starts_without_the_package_installed(script: str) -> None:
    done = run_uninstalled(RUN_SCRIPT, [str(ROOT / "scripts" / script), "--help"])
    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()
