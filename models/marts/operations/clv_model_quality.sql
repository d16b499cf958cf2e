{#- How well the CLV models predicted the last clv_holdout_days, one row per
    (model, measure, bucket): fitted on the orders up to calibration_end
    (as_of_date - clv_holdout_days), scored on the days after it up to as_of_date
    (int_clv_models_backtested, SQL on every engine; the fits are
    int_clv_backtest_parameters). For BG/NBD and MBG/NBD
    (purchase days per customer) and Gamma-Gamma (spend per purchase day): mae and
    rmse next to the naive baseline, total predicted vs actual, and for the
    purchase models the conditional expectation by calibration repeat purchases
    0..6, 7+. A model whose fit failed or that is disabled has one row (status,
    reason); on PostgreSQL and Spark without the client-side fit step's backtest
    fit, every model is failed with the command to run. Types are cast for the
    contract. -#}

with

backtested as (
    select * from {{ ref('int_clv_models_backtested') }}
),

typed as (
    select
        cast(model as {{ dbt.type_string() }}) as model, -- noqa: RF04
        cast(predicts as {{ dbt.type_string() }}) as predicts,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(measure as {{ dbt.type_string() }}) as measure,
        cast(
            calibration_repeat_purchases as {{ dbt.type_string() }}
        ) as calibration_repeat_purchases,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(model_value as {{ type_double() }}) as model_value,
        cast(naive_value as {{ type_double() }}) as naive_value,
        cast(actual_value as {{ type_double() }}) as actual_value,
        cast(as_of_date as date) as as_of_date,
        cast(calibration_end as date) as calibration_end,
        cast(horizon_days as {{ dbt.type_int() }}) as horizon_days
    from backtested
)

select * from typed
