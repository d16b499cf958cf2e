{#- Holdout quality of the CLV models at this build, one row per (model,
    measure, calibration_repeat_purchases), in SQL on every engine
    (tag_warehouse.clv.quality.quality_rows is the same table in Python, and the
    oracle of tests/test_clv.py): BG/NBD, MBG/NBD and Gamma-Gamma fitted on the
    clean customers' completed orders up to as_of_date - var clv_holdout_days
    (int_clv_backtest_parameters), scored on the days after it up to as_of_date
    (int_customers_clv_holdout_predicted).
    - Purchase models (purchase days), over every customer with a calibration
      purchase: mae and rmse next to the naive baseline's, total predicted,
      naive and actual, and the conditional expectation per bucket of
      calibration repeat purchases 0 .. 6, 7+ (mean predicted, naive, actual;
      buckets without customers are left out).
    - Gamma-Gamma (spend per purchase day), over the calibration's repeat buyers
      who bought in the holdout: mae and rmse next to their own calibration mean
      spend's, and total holdout spend (prediction x actual purchase days, the
      same for the naive one, and the actual spend).
    A model not fitted (failed, disabled, or no client-side fit) has one row
    with its status and reason, the others are scored as usual. -#}
{#- A table: the daily `tag:operations` run republishes clv_model_quality from
    the last weekly backtest; views would recompute the holdout from orders
    compiled for the daily run's date. -#}
{{ config(materialized='table') }}
{%- set settings = clv_backtest_settings() -%}
{%- set cap = settings.repeat_cap -%}
{%- set everyone = settings.all_bucket -%}
{%- set double = type_double() -%}

with

backtest_parameters as (
    select * from {{ ref('int_clv_backtest_parameters') }}
),

predicted as (
    select * from {{ ref('int_customers_clv_holdout_predicted') }}
),

fitted as (
    select
        model,
        predicts,
        status
    from backtest_parameters
    where status = 'fitted'
),

{# one row per model and scored customer: prediction, naive baseline, actual;
   weight and spend make the totals (purchase days: 1 and the actual) #}
scored as (
    {%- for model in ['bgnbd', 'mbgnbd'] %}
        select
            '{{ model }}' as model, -- noqa: RF04
            frequency,
            {{ model }}_purchase_days as predicted_value,
            naive_purchase_days as naive_value,
            cast(holdout_purchase_days as {{ double }}) as actual_value,
            cast(1.0 as {{ double }}) as weight,
            cast(holdout_purchase_days as {{ double }}) as actual_total
        from predicted
        union all
    {%- endfor %}
    select
        'gamma_gamma' as model, -- noqa: RF04
        frequency,
        gamma_gamma_spend_per_purchase_day as predicted_value,
        monetary_value as naive_value,
        holdout_spend
        / cast(holdout_purchase_days as {{ double }}) as actual_value,
        cast(holdout_purchase_days as {{ double }}) as weight,
        holdout_spend as actual_total
    from predicted
    where frequency > 0 and holdout_purchase_days > 0
),

scored_fitted as (
    select scored.*
    from scored
    inner join fitted
        on scored.model = fitted.model
),

overall as (
    select
        model,
        count(*) as customers,
        avg(abs(predicted_value - actual_value)) as model_mae,
        avg(abs(naive_value - actual_value)) as naive_mae,
        sqrt(
            avg((predicted_value - actual_value) * (predicted_value - actual_value))
        ) as model_rmse,
        sqrt(
            avg((naive_value - actual_value) * (naive_value - actual_value))
        ) as naive_rmse,
        sum(predicted_value * weight) as model_total,
        sum(naive_value * weight) as naive_total,
        sum(actual_total) as actual_total
    from scored_fitted
    group by model
),

{# every fitted model, scored customers or not (then no error, totals 0) #}
measured as (
    select
        fitted.model,
        fitted.predicts,
        fitted.status,
        coalesce(overall.customers, 0) as customers,
        overall.model_mae,
        overall.naive_mae,
        overall.model_rmse,
        overall.naive_rmse,
        coalesce(overall.model_total, 0.0) as model_total,
        coalesce(overall.naive_total, 0.0) as naive_total,
        coalesce(overall.actual_total, 0.0) as actual_total
    from fitted
    left join overall
        on fitted.model = overall.model
),

buckets as (
    select
        scored_fitted.model,
        fitted.predicts,
        fitted.status,
        case
            when scored_fitted.frequency >= {{ cap }} then '{{ cap }}+'
            else
                cast(
                    cast(scored_fitted.frequency as {{ dbt.type_int() }})
                    as {{ dbt.type_string() }}
                )
        end as calibration_repeat_purchases,
        scored_fitted.predicted_value,
        scored_fitted.naive_value,
        scored_fitted.actual_value
    from scored_fitted
    inner join fitted
        on scored_fitted.model = fitted.model
    where fitted.predicts = 'purchase_days'
),

conditional_expectations as (
    select
        model,
        predicts,
        status,
        'conditional_expectation' as measure,
        calibration_repeat_purchases,
        count(*) as customers,
        avg(predicted_value) as model_value,
        avg(naive_value) as naive_value,
        avg(actual_value) as actual_value
    from buckets
    group by model, predicts, status, calibration_repeat_purchases
),

measures as (
    select
        model,
        predicts,
        status,
        'mae' as measure,
        '{{ everyone }}' as calibration_repeat_purchases,
        customers,
        model_mae as model_value,
        naive_mae as naive_value,
        cast(null as {{ double }}) as actual_value
    from measured
    union all
    select
        model,
        predicts,
        status,
        'rmse' as measure,
        '{{ everyone }}' as calibration_repeat_purchases,
        customers,
        model_rmse as model_value,
        naive_rmse as naive_value,
        cast(null as {{ double }}) as actual_value
    from measured
    union all
    select
        model,
        predicts,
        status,
        'total' as measure,
        '{{ everyone }}' as calibration_repeat_purchases,
        customers,
        model_total as model_value,
        naive_total as naive_value,
        actual_total as actual_value
    from measured
    union all
    select
        model,
        predicts,
        status,
        measure,
        calibration_repeat_purchases,
        customers,
        model_value,
        naive_value,
        actual_value
    from conditional_expectations
),

{# a model not fitted: one row, its status and reason, no measure #}
not_fitted as (
    select
        model,
        predicts,
        status,
        reason,
        cast(null as {{ dbt.type_string() }}) as measure,
        '{{ everyone }}' as calibration_repeat_purchases,
        cast(null as {{ dbt.type_bigint() }}) as customers,
        cast(null as {{ double }}) as model_value,
        cast(null as {{ double }}) as naive_value,
        cast(null as {{ double }}) as actual_value
    from backtest_parameters
    where status != 'fitted'
),

backtested as (
    select
        model,
        predicts,
        status,
        cast(null as {{ dbt.type_string() }}) as reason,
        measure,
        calibration_repeat_purchases,
        customers,
        model_value,
        naive_value,
        actual_value
    from measures
    union all
    select * from not_fitted
),

dated as (
    select
        *,
        {{ as_of_date() }} as as_of_date,
        {{ clv_calibration_end() }} as calibration_end,
        {{ var('clv_holdout_days') }} as horizon_days
    from backtested
)

select * from dated
