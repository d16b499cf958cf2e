"""The CLV fit step for PostgreSQL and Spark, which run no dbt Python models.

    python scripts/clv.py fit --target postgres [--vars '{as_of_date: 2026-06-30}']

Run it after a `dbt build` of the same target and vars that builds the grouped
summaries it reads (`--select +tag:clv_fit_inputs`: int_clv_purchases_grouped,
int_clv_spend_grouped and the backtest's calibration twins), then build the
scorers and what reads them again:

    dbt build --target postgres --vars '...' \
        --select int_clv_parameters+ int_clv_backtest_parameters+

It reads the grouped summaries and the fit's vars through dbt, fits BG/NBD,
Gamma-Gamma and MBG/NBD as int_clv_models_fitted does on DuckDB
(tag_warehouse.clv.table), and the same models on the backtest's grouped
calibration summaries as int_clv_calibration_models_fitted does (when they are
built; clv_model_quality reads them), and writes both as one table,
clv_models_fitted in var raw_schema, column fit = scoring or backtest
(tag_warehouse/clv_engine.py). A model that cannot be fitted is a
status in that table, not an error (exit 0); dbt failing to read or write exits
with status 2. On DuckDB the fit runs inside `dbt build`: nothing to do.
"""

from __future__ import annotations

import argparse
import sys

import _bootstrap  # noqa: F401  (puts the project root on sys.path)

from tag_warehouse.clv_engine import AFTER_FIT_SELECTION, EngineFitError, fit_on_engine


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser(
        "fit", help="fit the CLV models on the engine's grouped summaries"
    )
    fit.add_argument(
        "--target", required=True, help="dbt target (postgres, spark; profiles.yml)"
    )
    fit.add_argument(
        "--vars", default=None, help="dbt vars as YAML, the same as the build's"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.target == "duckdb":
        print("clv: on DuckDB the fit runs inside dbt build (int_clv_models_fitted)")
        return 0
    try:
        done = fit_on_engine(args.target, args.vars)
    except EngineFitError as error:
        print(f"clv: error: {error}", file=sys.stderr)
        return 2
    print(
        f"clv: as_of_date {done.settings.as_of_date}: fitted on "
        f"{done.purchase_rows} distinct (x, t_x, T) and {done.spend_rows} distinct "
        f"(x, m) rows; wrote clv_models_fitted on {args.target}"
    )
    if done.backtest_purchase_rows is None:
        print(
            "clv: the backtest's grouped calibration summaries are not built: no "
            "backtest fit (clv_model_quality says so); build "
            "+int_clv_calibration_purchases_grouped "
            "+int_clv_calibration_spend_grouped first"
        )
    else:
        print(
            f"clv: backtest fitted on {done.backtest_purchase_rows} distinct "
            f"calibration (x, t_x, T) and {done.backtest_spend_rows} (x, m) rows"
        )
    models = done.table.drop_duplicates(["fit", "model"])
    for row in models.itertuples(index=False):
        reason = "" if row.status == "fitted" else f": {row.reason}"
        print(f"  {row.fit} {row.model}: {row.status}{reason}")
    print(
        f"clv: now rebuild the scorers: dbt build --target {args.target}"
        + (f" --vars '{args.vars}'" if args.vars else "")
        + f" --select {AFTER_FIT_SELECTION}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
