"""The Spark settings are written twice: profiles.yml's `spark` output (dbt's
session) and tag_warehouse.engines.spark_settings (the loader's session, which dbt
then reuses). They must agree for every environment variable that sets them."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest
import yaml
from dbt_helpers import ROOT

from tag_warehouse import engines

ENVIRONMENT = {
    "WAREHOUSE_SPARK_DIR": "/tmp/spark-settings-check",
    "WAREHOUSE_TIMEZONE": "Asia/Shanghai",
    "WAREHOUSE_SPARK_SHUFFLE_PARTITIONS": "8",
    "WAREHOUSE_SPARK_ADAPTIVE": "true",
    "WAREHOUSE_SPARK_DRIVER_MEMORY": "6g",
    "WAREHOUSE_SPARK_JAVA_OPTIONS": "-XX:+UseG1GC",
}


def profile_settings() -> dict[str, str]:
    """The `spark` output's server_side_parameters, rendered like dbt renders them."""

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        assert value is not None, f"profiles.yml reads {name} without a default"
        return value

    text = jinja2.Environment().from_string(Path(ROOT, "profiles.yml").read_text())
    profile = yaml.safe_load(text.render(env_var=env_var))
    (project,) = profile.values()
    parameters = project["outputs"]["spark"]["server_side_parameters"]
    return {key: str(value) for key, value in parameters.items()}


@pytest.mark.parametrize(
    "environment",
    [{}, ENVIRONMENT, {**ENVIRONMENT, "WAREHOUSE_SPARK_JAVA_OPTIONS": ""}],
    ids=["defaults", "set", "jvm-defaults"],
)
def test_profile_and_loader_start_the_same_spark(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    if not environment:
        # the profile's default directory is relative to the project root
        monkeypatch.chdir(ROOT)
        expected = {
            key: value.replace(str(ROOT / ".engines/spark"), ".engines/spark")
            for key, value in engines.spark_settings().items()
        }
    else:
        expected = engines.spark_settings()
    assert profile_settings() == expected
