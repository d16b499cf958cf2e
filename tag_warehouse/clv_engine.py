"""The client-side CLV fit for engines without dbt Python models (PostgreSQL, and
Spark with the session method): read the grouped summaries
(int_clv_purchases_grouped, int_clv_spend_grouped: the purchases bounded by the
history's days, the spend about one row per repeat customer: docs/scaling.md),
the backtest's grouped calibration summaries (int_clv_calibration_purchases_grouped,
int_clv_calibration_spend_grouped) and the fits' dbt vars from the engine, fit in
Python (tag_warehouse.clv.table, the code int_clv_models_fitted and
int_clv_calibration_models_fitted run on DuckDB), and write both fits into the
engine as one table, clv_models_fitted in var raw_schema (column fit: scoring or
backtest), where int_clv_parameters and int_clv_backtest_parameters read them.
When the calibration summaries are not built, only the scoring fit is written
(clv_model_quality then says its fit is missing).

Everything goes through dbt's own adapter (dbtRunner: one `show` to read, one
`run-operation write_clv_fits` to write): the same profiles.yml targets, the
vars resolved exactly as the build resolves them (project defaults, then
--vars), and on Spark no second JVM next to dbt's session (its embedded Derby
metastore admits one process at a time)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tag_warehouse.clv import WEIGHT_COLUMN
from tag_warehouse.clv.quality import backtest_settings
from tag_warehouse.clv.table import (
    BACKTEST_FIT,
    FIT_TABLE_COLUMNS,
    SCORING_FIT,
    FitSettings,
    fit_table,
    settings_from_meta,
)

ROOT = Path(__file__).resolve().parent.parent
FITS_TABLE = "clv_models_fitted"
# The models reading FITS_TABLE (the scoring fit's and the backtest's parameters)
# and dbt's selection of them with everything downstream: what a build runs after
# the fit step (scripts/clv.py, the Dagster jobs).
FIT_READERS = ("int_clv_parameters", "int_clv_backtest_parameters")
AFTER_FIT_SELECTION = " ".join(f"{name}+" for name in FIT_READERS)
# One query reads the grouped summaries and the vars (one dbt invocation: on
# Spark each one starts a session). kind: purchases, spend, backtest_purchases,
# backtest_spend or settings. The backtest's rows only when both of its grouped
# summaries exist (settings say whether they did).
READ_SQL = """
{%- set backtest_purchases = load_relation(
    ref('int_clv_calibration_purchases_grouped')) -%}
{%- set backtest_spend = load_relation(ref('int_clv_calibration_spend_grouped')) -%}
{%- set backtest = backtest_purchases is not none and backtest_spend is not none -%}
select 'purchases' as kind, frequency, recency, customer_age,
    cast(null as {{ type_double() }}) as monetary_value, customers,
    cast(null as {{ dbt.type_string() }}) as settings
from {{ ref('int_clv_purchases_grouped') }}
union all
select 'spend' as kind, frequency, cast(null as {{ type_double() }}),
    cast(null as {{ type_double() }}), monetary_value, customers,
    cast(null as {{ dbt.type_string() }})
from {{ ref('int_clv_spend_grouped') }}
{%- if backtest %}
union all
select 'backtest_purchases' as kind, frequency, recency, customer_age,
    cast(null as {{ type_double() }}), customers,
    cast(null as {{ dbt.type_string() }})
from {{ backtest_purchases }}
union all
select 'backtest_spend' as kind, frequency, cast(null as {{ type_double() }}),
    cast(null as {{ type_double() }}), monetary_value, customers,
    cast(null as {{ dbt.type_string() }})
from {{ backtest_spend }}
{%- endif %}
union all
select 'settings' as kind, cast(null as {{ type_double() }}),
    cast(null as {{ type_double() }}), cast(null as {{ type_double() }}),
    cast(null as {{ type_double() }}), cast(null as {{ dbt.type_bigint() }}),
    '{{ tojson({
        "as_of_date": var("as_of_date") | string,
        "ltv_enabled": var("ltv_enabled"),
        "churn_risk_enabled": var("churn_risk_enabled"),
        "ltv_horizon_years": var("ltv_horizon_years"),
        "ltv_time_unit": var("ltv_time_unit"),
        "ltv_annual_discount_rate": var("ltv_annual_discount_rate"),
        "ltv_spend_remedy": var("ltv_spend_remedy"),
        "ltv_winsorise_quantiles": var("ltv_winsorise_quantiles"),
        "clv_holdout_days": var("clv_holdout_days"),
        "backtest_inputs": backtest,
    }) }}' as settings
"""


class EngineFitError(RuntimeError):
    """dbt could not read the summaries or write the fit table."""


@dataclass(frozen=True)
class EngineFit:
    """What the fit step read and wrote. ``backtest_purchase_rows`` and
    ``backtest_spend_rows`` are None when the backtest's grouped calibration
    summaries were not built (no backtest fit written); ``table`` holds both
    fits (column fit)."""

    settings: FitSettings
    purchase_rows: int
    spend_rows: int
    table: pd.DataFrame
    backtest_purchase_rows: int | None = None
    backtest_spend_rows: int | None = None


@dataclass(frozen=True)
class EngineInputs:
    """What the fit step reads from the engine: the fits' settings, the grouped
    summaries, and the backtest's (None when not built)."""

    settings: FitSettings
    holdout_days: int
    purchases: pd.DataFrame
    spend: pd.DataFrame
    backtest_purchases: pd.DataFrame | None
    backtest_spend: pd.DataFrame | None

    @property
    def backtest(self) -> FitSettings:
        """The settings of the backtest's fits (tag_warehouse.clv.quality)."""
        return backtest_settings(self.settings, self.holdout_days)


def _dbt(args: Sequence[str]) -> Any:
    """Run dbt in this process (the project and profiles of this checkout),
    printing nothing (`dbt show` would print the rows)."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            str(ROOT),
            "--profiles-dir",
            str(ROOT),
            "--log-level",
            "none",
        ]
    )
    if not result.success:
        raise EngineFitError(
            f"dbt {args[0]} failed: {result.exception or 'see the dbt log'}"
        )
    return result.result


def _options(
    target: str, dbt_vars: str | None, dbt_args: Sequence[str] = ()
) -> list[str]:
    """--target, --vars and any other dbt options (e.g. --target-path)."""
    return ["--target", target, *(["--vars", dbt_vars] if dbt_vars else []), *dbt_args]


def read_engine_inputs(
    target: str, dbt_vars: str | None = None, dbt_args: Sequence[str] = ()
) -> EngineInputs:
    """The fits' settings (dbt vars) and the grouped purchases (frequency,
    recency, T, customers) and spend (frequency, monetary_value, customers), for
    the scoring fit and (when built) the backtest's, in one dbt invocation."""
    try:
        result = _dbt(
            [
                "show",
                "--inline",
                READ_SQL,
                "--limit",
                "-1",
                *_options(target, dbt_vars, dbt_args),
            ]
        )
    except EngineFitError as error:
        raise EngineFitError(
            f"{error}. Build the grouped summaries first: dbt build --target "
            f"{target} --select +tag:clv_fit_inputs --resource-type seed model"
        ) from None
    table = result.results[0].agate_table
    frame = pd.DataFrame(
        [list(row) for row in table.rows], columns=list(table.column_names)
    )
    settings_text = frame.loc[frame["kind"] == "settings", "settings"].iloc[0]
    values = json.loads(settings_text)
    # The vars under their own names, as a DuckDB fit model gets them in its meta.
    settings = settings_from_meta(values)

    def part(kind: str, columns: list[str]) -> pd.DataFrame:
        rows = frame.loc[frame["kind"] == kind, columns]
        # agate hands numbers over as Decimal (exact: from the float's repr).
        return rows.astype("float64").reset_index(drop=True)

    purchase_columns = ["frequency", "recency", "customer_age", WEIGHT_COLUMN]
    spend_columns = ["frequency", "monetary_value", WEIGHT_COLUMN]
    backtest = bool(values["backtest_inputs"])
    return EngineInputs(
        settings=settings,
        holdout_days=int(values["clv_holdout_days"]),
        purchases=part("purchases", purchase_columns).rename(
            columns={"customer_age": "T"}
        ),
        spend=part("spend", spend_columns),
        backtest_purchases=(
            part("backtest_purchases", purchase_columns).rename(
                columns={"customer_age": "T"}
            )
            if backtest
            else None
        ),
        backtest_spend=part("backtest_spend", spend_columns) if backtest else None,
    )


def read_inputs(
    target: str, dbt_vars: str | None = None, dbt_args: Sequence[str] = ()
) -> tuple[FitSettings, pd.DataFrame, pd.DataFrame]:
    """The scoring fit's settings and grouped purchases and spend
    (read_engine_inputs without the backtest's)."""
    inputs = read_engine_inputs(target, dbt_vars, dbt_args)
    return inputs.settings, inputs.purchases, inputs.spend


def _literal(value: Any) -> str | None:
    """A fit-table value as text for the write macro (floats by repr: exact)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_fit_table(
    table: pd.DataFrame,
    target: str,
    dbt_vars: str | None = None,
    dbt_args: Sequence[str] = (),
) -> None:
    """Replace clv_models_fitted in var raw_schema with ``table``."""
    rows = [
        {
            column: _literal(value)
            for column, value in zip(table.columns, row, strict=True)
        }
        for row in table.astype(object).itertuples(index=False)
    ]
    _dbt(
        [
            "run-operation",
            "write_clv_fits",
            "--args",
            json.dumps({"rows": rows, "columns": list(FIT_TABLE_COLUMNS)}),
            *_options(target, dbt_vars, dbt_args),
        ]
    )


def engine_fit_table(inputs: EngineInputs) -> pd.DataFrame:
    """The scoring fit's rows, then the backtest's (when its summaries were read):
    what int_clv_models_fitted and int_clv_calibration_models_fitted hold on
    DuckDB. A model switched off reads nothing (fit_table)."""
    settings = inputs.settings
    tables = [
        fit_table(
            settings,
            inputs.purchases if settings.wanted else None,
            inputs.spend if settings.wanted else None,
            SCORING_FIT,
        )
    ]
    if inputs.backtest_purchases is not None and inputs.backtest_spend is not None:
        backtest = inputs.backtest
        tables.append(
            fit_table(
                backtest,
                inputs.backtest_purchases if backtest.wanted else None,
                inputs.backtest_spend if backtest.wanted else None,
                BACKTEST_FIT,
            )
        )
    return pd.concat(tables, ignore_index=True)


def fit_on_engine(
    target: str, dbt_vars: str | None = None, dbt_args: Sequence[str] = ()
) -> EngineFit:
    """Read the grouped summaries of ``target``, fit, write the fit table (the
    scoring fit, and the backtest's when its grouped summaries are built).
    ``dbt_vars``: the build's --vars (YAML); ``dbt_args``: more dbt options."""
    inputs = read_engine_inputs(target, dbt_vars, dbt_args)
    table = engine_fit_table(inputs)
    write_fit_table(table, target, dbt_vars, dbt_args)
    return EngineFit(
        inputs.settings,
        len(inputs.purchases),
        len(inputs.spend),
        table,
        None if inputs.backtest_purchases is None else len(inputs.backtest_purchases),
        None if inputs.backtest_spend is None else len(inputs.backtest_spend),
    )
