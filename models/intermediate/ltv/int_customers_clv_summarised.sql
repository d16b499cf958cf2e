{#- The recency-frequency-monetary summary the CLV models are fitted on, one row
    per customer with at least one valid order up to as_of_date. A purchase is a
    purchase DAY (orders of one day are merged): x = repeat purchase days,
    t_x = first to last purchase day, T = first purchase day to as_of_date (both in
    var ltv_time_unit), m = mean day amount over the repeat days (0 when x = 0):
    macro clv_summary_ctes, shared with the backtest's calibration summary. -#}
{#- A table, not a view: the grouped summaries and the scorers read it. -#}
{{ config(materialized='table') }}
{%- set days_per_unit = clv_time_units().days_per_unit[var('ltv_time_unit')] -%}

with

orders as (
    select * from {{ ref('int_completed_orders_unioned') }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

{{ clv_summary_ctes('orders', 'customers', as_of_date(), days_per_unit) }}

select * from clean_customers
{#- Nothing is fitted with vars ltv_enabled and churn_risk_enabled false: the
    summary stays empty. -#}
{%- if not var('ltv_enabled') and not var('churn_risk_enabled') %}
    where false
{%- endif %}
