{#- Per-customer share of window orders that were promo orders, one row per clean
    customer. A promo order names a promotion that exists (clean) and is dated
    within [start_date, end_date]; an unknown promotion id is not a promo order.
    Null share when the customer has no window orders. -#}

with

orders as (
    select * from {{ ref('int_completed_orders_unioned') }}
),

promotions as (
    select * from {{ ref('stg_crm__promotions') }}
),

order_metrics as (
    select * from {{ ref('int_customers_orders_summarised') }}
),

{# orders of any customer id: the left join from order_metrics keeps clean ones #}
window_promo_orders as (
    select
        orders.customer_id,
        count(*) as promo_order_count
    from orders
    inner join promotions
        on
            orders.promotion_id = promotions.promotion_id
            and orders.order_date between promotions.start_date and promotions.end_date
    where orders.days_since_order < {{ var('window_days') }}
    group by orders.customer_id
),

computed as (
    select
        order_metrics.customer_id,
        order_metrics.window_order_count,
        coalesce(window_promo_orders.promo_order_count, 0) as promo_order_count,
        case
            when order_metrics.window_order_count > 0
                then
                    cast(
                        coalesce(window_promo_orders.promo_order_count, 0)
                        as {{ type_double() }}
                    )
                    / order_metrics.window_order_count
        end as promo_order_share
    from order_metrics
    left join window_promo_orders
        on order_metrics.customer_id = window_promo_orders.customer_id
)

select * from computed
