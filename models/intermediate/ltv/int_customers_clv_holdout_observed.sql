{#- What each clean customer did in the backtest's holdout, the days after the
    calibration end (as_of_date - var clv_holdout_days) up to as_of_date: one
    row per clean customer with a completed order in it, purchase days (what the
    purchase models predict) and spend (completed order amounts). -#}

with

orders as (
    select * from {{ ref('int_completed_orders_unioned') }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

{# int_completed_orders_unioned ends at as_of_date #}
holdout_orders as (
    select
        customer_id,
        order_date,
        amount
    from orders
    where order_date > {{ clv_calibration_end() }}
),

observed as (
    select
        customer_id,
        count(distinct order_date) as holdout_purchase_days,
        coalesce(cast(sum(amount) as {{ type_double() }}), 0.0) as holdout_spend
    from holdout_orders
    group by customer_id
),

clean_customers as (
    select observed.*
    from observed
    inner join customers
        on observed.customer_id = customers.customer_id
)

select * from clean_customers
