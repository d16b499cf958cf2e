"""The project's two commands, runnable with a bare Python 3.11 (standard library only).

    python3 scripts/dev.py build   # install into .venv, make demo data, dbt build
    python3 scripts/dev.py test    # install into .venv, run every check and test
    python3 scripts/dev.py dagster # the Dagster UI and schedules on localhost

Both create the local virtualenv `.venv` and install the pinned `requirements.txt`
into it when it is missing or the requirements changed, so a fresh clone needs
nothing else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"
PIP_INSTALL = [BIN / "python", "-m", "pip", "install", "--quiet"]
DEMO_DIR = ROOT / "data" / "demo"
DAGSTER_HOME = ROOT / ".dagster"
DEMO_CUSTOMERS = 10_000
DEMO_DIRTY_RATE = 0.02
# Debian packages the tests need, with what shows each one is there: the
# browser tests of the dashboard and the Dagster UI (Chromium, a CJK font) and the
# cross-engine test (tests/test_engines.py: a PostgreSQL server, a JDK for Spark).
# A package counts as present when one of its file patterns matches or one of its
# commands is on PATH (any Java on PATH will do for Spark).
TEST_PACKAGES: dict[str, tuple[str, ...]] = {
    "chromium": ("/usr/bin/chromium",),
    "fonts-wqy-microhei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",),
    "postgresql": ("/usr/lib/postgresql/*/bin/initdb",),
    "default-jdk-headless": ("/usr/lib/jvm/*/bin/java", "command:java"),
}


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def shown(command: Sequence[str | Path]) -> str:
    return "$ " + " ".join(str(part) for part in command)


def run(command: Sequence[str | Path], env: dict[str, str] | None = None) -> int:
    """Run a command from the project root, streaming its output; return its code."""
    say(shown(command))
    return subprocess.call([str(part) for part in command], cwd=ROOT, env=env)


def ensure_venv() -> None:
    """Create .venv and install the pinned requirements when they changed."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        say(f"creating virtualenv {VENV}")
        if run([sys.executable, "-m", "venv", VENV]) != 0:
            sys.exit(
                "[dev] could not create the virtualenv: is python3-venv installed?"
            )
    started = time.monotonic()
    say("installing pinned requirements (first run takes a minute or so)")
    # Only the requirements: dbt (profiles.yml module_paths), pytest (pythonpath)
    # and the scripts (scripts/_bootstrap.py) import tag_warehouse from the checkout.
    if not install_with_uv():
        say("uv could not install them: installing with pip instead")
        if run([*PIP_INSTALL, "-r", REQUIREMENTS]) != 0:
            sys.exit("[dev] pip install failed: see the messages above")
    STAMP.write_text(wanted + "\n")
    say(f"environment ready in {time.monotonic() - started:.0f}s")


def install_with_uv() -> bool:
    """The requirements installed by uv (its version pinned in requirements.txt),
    with bytecode compiled as pip does: 34 s from a cold cache where pip took 53
    to 88 s. uv reads PyPI only, not pip's configuration (an index or
    constraints set in pip.conf), so any failure leaves the install to pip."""
    pins = [line.strip() for line in REQUIREMENTS.read_text().splitlines()]
    uv_pin = next((pin for pin in pins if pin.startswith("uv==")), None)
    if uv_pin is None:
        return False
    if run([*PIP_INSTALL, uv_pin]) != 0:
        return False
    uv_install = ["pip", "install", "--quiet", "--compile-bytecode"]
    uv_install += ["--python", BIN / "python", "-r", REQUIREMENTS]
    return run([BIN / "uv", *uv_install]) == 0


def ensure_demo_data(regenerate: bool) -> None:
    """Write the demo raw files (deterministic for a date) unless already there."""
    if (DEMO_DIR / "orders.parquet").exists() and not regenerate:
        say(f"demo data present in {DEMO_DIR} (use --regenerate to rebuild it)")
        return
    code = run(
        [
            BIN / "python",
            ROOT / "scripts" / "generate_data.py",
            "--customers",
            str(DEMO_CUSTOMERS),
            "--dirty-rate",
            str(DEMO_DIRTY_RATE),
            "--as-of",
            dt.date.today().isoformat(),
            "--out",
            DEMO_DIR,
        ]
    )
    if code != 0:
        sys.exit("[dev] demo data generation failed: see the messages above")


def build(args: argparse.Namespace) -> int:
    ensure_venv()
    ensure_demo_data(args.regenerate)
    # An analyst's catalogue edit flows into the generated models, seeds and tests
    # (a catalogue with problems stops here, listing them): docs/operations.md.
    code = run([BIN / "python", ROOT / "scripts" / "catalogue.py", "generate"])
    if code != 0:
        return code
    code = run([BIN / "dbt", "build", *args.dbt_args])
    db = os.environ.get("WAREHOUSE_DB", "warehouse.duckdb")
    if code == 0:
        say(f"warehouse built: {db} (marts in schema `marts`)")
        # Readers (BI, notebooks) get a Parquet copy, never the warehouse: docs/bi.md.
        run_results = ROOT / os.environ.get("DBT_TARGET_PATH", "target")
        run_results /= "run_results.json"
        publish = [BIN / "python", ROOT / "scripts" / "publish.py", "--warehouse", db]
        if run_results.exists():
            publish += ["--run-results", run_results]
        code = run(publish)
    return code


def dagster_command(port: int) -> list[str | Path]:
    """`dagster dev` on the project's definitions (orchestration/), localhost only."""
    return [
        BIN / "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def dagster(args: argparse.Namespace) -> int:
    """The Dagster UI with the daily, weekly and monthly schedules (runs until
    Ctrl-C). Runs, schedules and logs are kept in DAGSTER_HOME (default .dagster/,
    which gets orchestration/dagster.yaml: one run at a time)."""
    ensure_venv()
    ensure_demo_data(regenerate=False)
    home = Path(os.environ.get("DAGSTER_HOME") or DAGSTER_HOME)
    home.mkdir(parents=True, exist_ok=True)
    if home == DAGSTER_HOME:
        shutil.copyfile(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    elif not (home / "dagster.yaml").exists():
        say(f"DAGSTER_HOME={home} has no dagster.yaml: runs are not limited to one")
    say(f"Dagster UI on http://127.0.0.1:{args.port} (DAGSTER_HOME={home})")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        # dagster-dbt runs `dbt`: the one of the virtualenv.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return run(dagster_command(args.port), env=env)


def is_present(sign: str) -> bool:
    """A file pattern that matches, or `command:NAME` found on PATH."""
    if sign.startswith("command:"):
        return shutil.which(sign.removeprefix("command:")) is not None
    return bool(glob.glob(sign))


def ensure_test_packages() -> None:
    """Install the Debian packages of the browser and cross-engine tests when
    missing: apt-get, only as root."""
    missing = [
        package
        for package, signs in TEST_PACKAGES.items()
        if not any(is_present(sign) for sign in signs)
    ]
    if not missing:
        return
    if os.name == "nt" or not Path("/usr/bin/apt-get").exists() or os.geteuid() != 0:
        say(
            f"not installing {', '.join(missing)} (needs root and apt-get):"
            " the browser and cross-engine tests need them"
        )
        return
    say(f"installing {', '.join(missing)} for the browser and engine tests (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    if run(["apt-get", "update", "-q"], env=env) != 0 or run(install, env=env) != 0:
        say("apt-get failed: the tests needing them will fail; see the messages above")


def test_processes() -> int:
    """One test process per core and one more (at most 4): the dbt builds are
    mostly single-threaded Python, and a process often waits on a child (dbt
    under Dagster, the Spark JVM, PostgreSQL, Chromium) while the lint runs
    beside them; with one per core, 2 cores were busy 1.6 on average."""
    return min(4, (os.cpu_count() or 1) + 1)


def test(_: argparse.Namespace) -> int:
    """Run every check; report all failures, not just the first."""
    ensure_venv()
    ensure_test_packages()
    checks: dict[str, list[str | Path]] = {
        "ruff lint": [BIN / "ruff", "check", "."],
        "ruff format": [BIN / "ruff", "format", "--check", "."],
        # Whole test files per process (test_processes); tests/conftest.py shares
        # the session builds between the processes.
        "pytest (dbt builds, unit and data tests, scripts)": [
            BIN / "pytest",
            f"--numprocesses={test_processes()}",
            "--dist=loadfile",
            "--no-loadscope-reorder",  # the order of tests/conftest.py LONGEST_FILES
        ],
    }
    lint_command = [BIN / "sqlfluff", "lint", "models", "analyses"]
    # sqlfluff's dbt templater compiles against a warehouse: a throw-away one, so
    # the lint never depends on (or writes) the local warehouse.duckdb, and
    # incremental models render as a full refresh, as on a clean clone. It runs
    # beside the other checks (it is mostly waiting on one core); its output is
    # printed when it ends.
    with tempfile.TemporaryDirectory(prefix="lint_") as scratch:
        say(shown(lint_command) + " (in the background)")
        lint = subprocess.Popen(
            [str(part) for part in lint_command],
            cwd=ROOT,
            env={**os.environ, "WAREHOUSE_DB": str(Path(scratch) / "lint.duckdb")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        failed = [name for name, command in checks.items() if run(command) != 0]
        lint_output, _ = lint.communicate()
    say(shown(lint_command) + ":")
    print(lint_output, end="", flush=True)
    if lint.returncode != 0:
        failed.append("sqlfluff")
    if failed:
        say("FAILED: " + ", ".join(failed))
        return 1
    say("all checks passed")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="install, make demo data, build")
    build_parser.add_argument(
        "--regenerate", action="store_true", help="rewrite the demo data first"
    )
    build_parser.add_argument(
        "dbt_args", nargs=argparse.REMAINDER, help="extra arguments for dbt build"
    )
    build_parser.set_defaults(handler=build)
    dagster_parser = commands.add_parser(
        "dagster", help="the Dagster UI and schedules on localhost (orchestration/)"
    )
    dagster_parser.add_argument(
        "--port", type=int, default=3000, help="port of the UI (default 3000)"
    )
    dagster_parser.set_defaults(handler=dagster)
    test_parser = commands.add_parser("test", help="install and run every test")
    test_parser.set_defaults(handler=test)
    commands.add_parser("setup", help="only create the virtualenv").set_defaults(
        handler=lambda _: ensure_venv() or 0
    )
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
