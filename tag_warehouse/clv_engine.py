"""The client-side CLV fit for engines without dbt Python models (PostgreSQL, and
Spark with the session method): read the grouped summaries
(int_clv_purchases_grouped, int_clv_spend_grouped: the purchases bounded by the
history's days, the spend about one row per repeat customer: docs/scaling.md)
and the fit's dbt vars from the engine, fit in Python (tag_warehouse.clv.table,
the code int_clv_models_fitted runs on DuckDB), and write the fit table into the
engine as clv_models_fitted in var raw_schema, where int_clv_parameters reads it.

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
from tag_warehouse.clv.table import FIT_TABLE_COLUMNS, FitSettings, fit_table

ROOT = Path(__file__).resolve().parent.parent
FITS_TABLE = "clv_models_fitted"
# One query reads both grouped summaries and the vars (one dbt invocation: on
# Spark each one starts a session). kind: purchases, spend or settings.
READ_SQL = """
select 'purchases' as kind, frequency, recency, customer_age,
    cast(null as {{ type_double() }}) as monetary_value, customers,
    cast(null as {{ dbt.type_string() }}) as settings
from {{ ref('int_clv_purchases_grouped') }}
union all
select 'spend' as kind, frequency, cast(null as {{ type_double() }}),
    cast(null as {{ type_double() }}), monetary_value, customers,
    cast(null as {{ dbt.type_string() }})
from {{ ref('int_clv_spend_grouped') }}
union all
select 'settings' as kind, cast(null as {{ type_double() }}),
    cast(null as {{ type_double() }}), cast(null as {{ type_double() }}),
    cast(null as {{ type_double() }}), cast(null as {{ dbt.type_bigint() }}),
    '{{ tojson({
        "as_of_date": var("as_of_date") | string,
        "ltv_enabled": var("ltv_enabled"),
        "churn_risk_enabled": var("churn_risk_enabled"),
        "horizon_years": var("ltv_horizon_years"),
        "unit": var("ltv_time_unit"),
        "annual_discount_rate": var("ltv_annual_discount_rate"),
        "spend_remedy": var("ltv_spend_remedy"),
        "winsorise_quantiles": var("ltv_winsorise_quantiles"),
    }) }}' as settings
"""


class EngineFitError(RuntimeError):
    """dbt could not read the summaries or write the fit table."""


@dataclass(frozen=True)
class EngineFit:
    """What the fit step read and wrote."""

    settings: FitSettings
    purchase_rows: int
    spend_rows: int
    table: pd.DataFrame


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


def read_inputs(
    target: str, dbt_vars: str | None = None, dbt_args: Sequence[str] = ()
) -> tuple[FitSettings, pd.DataFrame, pd.DataFrame]:
    """The fit's settings (dbt vars) and the grouped purchases (frequency,
    recency, T, customers) and spend (frequency, monetary_value, customers)."""
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
            f"{target} --select +int_clv_purchases_grouped +int_clv_spend_grouped"
        ) from None
    table = result.results[0].agate_table
    frame = pd.DataFrame(
        [list(row) for row in table.rows], columns=list(table.column_names)
    )
    settings_text = frame.loc[frame["kind"] == "settings", "settings"].iloc[0]
    values = json.loads(settings_text)
    settings = FitSettings(
        as_of_date=str(values["as_of_date"]),
        ltv_enabled=bool(values["ltv_enabled"]),
        churn_risk_enabled=bool(values["churn_risk_enabled"]),
        horizon_years=float(values["horizon_years"]),
        unit=str(values["unit"]),
        annual_discount_rate=float(values["annual_discount_rate"]),
        spend_remedy=str(values["spend_remedy"]),
        winsorise_quantiles=[float(q) for q in values["winsorise_quantiles"]],
    )

    def part(kind: str, columns: list[str]) -> pd.DataFrame:
        rows = frame.loc[frame["kind"] == kind, columns]
        # agate hands numbers over as Decimal (exact: from the float's repr).
        return rows.astype("float64").reset_index(drop=True)

    purchases = part(
        "purchases", ["frequency", "recency", "customer_age"] + [WEIGHT_COLUMN]
    )
    spend = part("spend", ["frequency", "monetary_value", WEIGHT_COLUMN])
    return settings, purchases.rename(columns={"customer_age": "T"}), spend


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


def fit_on_engine(
    target: str, dbt_vars: str | None = None, dbt_args: Sequence[str] = ()
) -> EngineFit:
    """Read the grouped summaries of ``target``, fit, write the fit table.
    ``dbt_vars``: the build's --vars (YAML); ``dbt_args``: more dbt options."""
    settings, purchases, spend = read_inputs(target, dbt_vars, dbt_args)
    if settings.wanted:
        table = fit_table(settings, purchases, spend)
    else:
        table = fit_table(settings, None, None)
    write_fit_table(table, target, dbt_vars, dbt_args)
    return EngineFit(settings, len(purchases), len(spend), table)
