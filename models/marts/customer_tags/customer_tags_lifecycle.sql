{#- Lifecycle tag, one row per clean customer. Source: orders.
    potential: no valid order; new: first valid order within lifecycle_new_max_days;
    then by days since the last valid order: active, at_risk, churned. -#}
{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" -%}

with

order_metrics as (
    select * from {{ ref('int_customers_orders_summarised') }}
),

tagged as (
    select
        customer_id,
        {{ as_of_date }} as as_of_date,
        case
            when not has_valid_order then 'potential'
            when days_since_first_order <= {{ var('lifecycle_new_max_days') }}
                then 'new'
            else {{ band_ladder('days_since_last_order', [
                ('<=', var('lifecycle_active_max_days'), 'active'),
                ('<=', var('lifecycle_at_risk_max_days'), 'at_risk'),
            ], otherwise='churned') }}
        end as lifecycle_stage,
        first_order_date,
        last_order_date,
        days_since_first_order,
        days_since_last_order
    from order_metrics
)

select * from tagged
