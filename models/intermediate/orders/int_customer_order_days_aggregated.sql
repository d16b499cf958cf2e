{#- Valid orders (completed, dated on or before as_of_date) at the grain the tag
    metrics need: one row per customer, order date and product category. Every
    order metric reads this model, so the order table is scanned once. -#}
{#- A table, not a view: two models read it, a view would aggregate the orders
    once per reader (docs/performance.md). -#}
{{ config(materialized='table') }}
{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" -%}

with

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

valid_orders as (
    select
        customer_id,
        order_date,
        product_category,
        order_id,
        amount,
        cost
    from orders
    where
        is_completed
        and order_date <= {{ as_of_date }}
),

aggregated as (
    select
        customer_id,
        order_date,
        product_category,
        {{ days_between('order_date', as_of_date) }} as days_since_order,
        -- count(*), not count(distinct order_id): stg_crm__orders has one row per
        -- order (its unique test), and a distinct count costs two more hash tables
        -- over the orders.
        count(*) as order_count,
        sum(amount) as amount,
        sum(cost) as cost
    from valid_orders
    group by customer_id, order_date, product_category
)

select * from aggregated
