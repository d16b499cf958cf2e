{#- Behaviour tags, one row per clean customer. Source: orders. -#}
{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" -%}

with

order_metrics as (
    select * from {{ ref('int_customers_orders_summarised') }}
),

tagged as (
    select
        customer_id,
        {{ as_of_date }} as as_of_date,
        {{ band_ladder('window_order_count', [
            ('>=', var('frequency_high_min_orders'), 'high'),
            ('>=', var('frequency_medium_min_orders'), 'medium'),
        ], otherwise='low') }} as purchase_frequency,
        {{ band_ladder('days_since_last_order', [
            ('<=', var('recency_within_30d_max_days'), 'within_30d'),
            ('<=', var('recency_d31_90_max_days'), 'd31_90'),
            ('<=', var('recency_d91_180_max_days'), 'd91_180'),
        ], otherwise='over_180d', when_null='never') }} as recency,
        coalesce(preferred_product_category, 'none') as product_preference,
        window_order_count,
        days_since_last_order
    from order_metrics
)

select * from tagged
