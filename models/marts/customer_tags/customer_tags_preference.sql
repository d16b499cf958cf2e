{#- Preference tags, one row per clean customer. Sources: orders + promotions
    (price_sensitivity), service_interactions (service_preference), customers
    (decision_role). Price sensitivity compares promo orders with threshold x
    window orders, exactly. -#}
{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" -%}

with

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

promo_metrics as (
    select * from {{ ref('int_customers_promo_share_computed') }}
),

service_metrics as (
    select * from {{ ref('int_customers_service_summarised') }}
),

tagged as (
    select
        customers.customer_id,
        {{ as_of_date }} as as_of_date,
        case
            when promo_metrics.window_order_count = 0 then 'unknown'
            else {{ band_ladder('promo_metrics.promo_order_count', [
                ('>', var('promo_high_above')
                    ~ ' * promo_metrics.window_order_count', 'high'),
                ('>=', var('promo_medium_min')
                    ~ ' * promo_metrics.window_order_count', 'medium'),
            ], otherwise='low') }}
        end as price_sensitivity,
        coalesce(service_metrics.preferred_channel, 'unknown') as service_preference,
        customers.decision_role,
        promo_metrics.promo_order_share,
        service_metrics.interaction_count
    from customers
    inner join promo_metrics
        on customers.customer_id = promo_metrics.customer_id
    inner join service_metrics
        on customers.customer_id = service_metrics.customer_id
)

select * from tagged
