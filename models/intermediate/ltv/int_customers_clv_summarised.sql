{#- The recency-frequency-monetary summary the CLV models are fitted on, one row
    per customer with at least one valid order up to as_of_date. A purchase is a
    purchase DAY (orders of one day are merged): x = repeat purchase days,
    t_x = first to last purchase day, T = first purchase day to as_of_date (both in
    var ltv_time_unit), m = mean day amount over the repeat days (0 when x = 0). -#}
{#- A table, not a view: both Python models read it (docs/performance.md). -#}
{{ config(materialized='table') }}
{%- set days_per_unit = clv_time_units().days_per_unit[var('ltv_time_unit')] -%}

with

orders as (
    select * from {{ ref('int_completed_orders_unioned') }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

purchase_days as (
    select
        customer_id,
        order_date,
        sum(amount) as day_amount,
        row_number() over (
            partition by customer_id order by order_date asc
        ) as purchase_day_number
    from orders
    group by customer_id, order_date
),

summarised as (
    select
        customer_id,
        {{ as_of_date() }} as as_of_date,
        count(*) - 1 as frequency,
        cast(
            {{ days_between('min(order_date)', 'max(order_date)') }}
            as {{ type_double() }}
        ) / {{ days_per_unit }} as recency,
        cast(
            {{ days_between('min(order_date)', as_of_date()) }}
            as {{ type_double() }}
        ) / {{ days_per_unit }} as customer_age,
        {#- a double divided by a double on every engine (PostgreSQL would
            divide numerics and round once more), so the grouped spend and the
            Gamma-Gamma fit are the same floats everywhere -#}
        coalesce(
            cast(
                sum(case when purchase_day_number > 1 then day_amount end)
                as {{ type_double() }}
            )
            / cast(nullif(count(*) - 1, 0) as {{ type_double() }}),
            0
        ) as monetary_value
    from purchase_days
    group by customer_id
),

{# orders of any customer id above: a join at customer grain keeps clean ones #}
clean_customers as (
    select summarised.*
    from summarised
    inner join customers
        on summarised.customer_id = customers.customer_id
)

select * from clean_customers
{#- Nothing is fitted with vars ltv_enabled and churn_risk_enabled false: the
    summary stays empty. -#}
{%- if not var('ltv_enabled') and not var('churn_risk_enabled') %}
    where false
{%- endif %}
