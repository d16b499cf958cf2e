{#- How well the CLV models predicted the last clv_holdout_days, one row per
    (model, measure, bucket): fitted on the orders up to calibration_end
    (as_of_date - clv_holdout_days), scored on the days after it up to as_of_date
    (int_clv_models_backtested, a dbt Python model). For BG/NBD and MBG/NBD
    (purchase days per customer) and Gamma-Gamma (spend per purchase day): mae and
    rmse next to the naive baseline, total predicted vs actual, and for the
    purchase models the conditional expectation by calibration repeat purchases
    0..6, 7+. A model whose fit failed or that is disabled has one row (status,
    reason). On an adapter without Python models every model is disabled
    (DECISIONLOG 2026-11-27). Types are cast for the contract. -#}
{%- set fallback_models = {
    'bgnbd': 'purchase_days',
    'gamma_gamma': 'spend_per_purchase_day',
    'mbgnbd': 'purchase_days',
} -%}

with

{# A dbt Python model: on an adapter without Python models it is disabled and
   each model gets one row, status disabled. -#}
backtested as (
    {%- if python_models_supported() %}
        select * from {{ ref('int_clv_models_backtested') }}
    {%- else %}
        {%- for name, predicts in fallback_models.items() %}
            select
                '{{ name }}' as model,
                '{{ predicts }}' as predicts,
                'disabled' as status,
                '{{ target.type }} runs no dbt Python models' as reason,
                cast(null as {{ dbt.type_string() }}) as measure,
                'all' as calibration_repeat_purchases,
                cast(null as {{ dbt.type_bigint() }}) as customers,
                cast(null as {{ type_double() }}) as model_value,
                cast(null as {{ type_double() }}) as naive_value,
                cast(null as {{ type_double() }}) as actual_value,
                {{ as_of_date() }} as as_of_date,
                {{ dbt.dateadd('day', -var('clv_holdout_days'), as_of_date()) }}
                as calibration_end,
                {{ var('clv_holdout_days') }} as horizon_days
            {% if not loop.last -%} union all {%- endif %}
        {%- endfor %}
    {%- endif %}
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
