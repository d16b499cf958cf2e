{#- The CLV summary of the backtest (marts.clv_model_quality), one row per clean
    customer with a valid order up to the calibration end (as_of_date - var
    clv_holdout_days): the scoring summary's logic (macro clv_summary_ctes) on
    the orders up to that day, in the backtest's unit (weeks, as
    tag_warehouse.clv.quality fits; macro clv_backtest_settings). -#}
{#- A table: the grouped rows and the holdout predictions read it. -#}
{{ config(materialized='table') }}
{%- set days_per_unit =
    clv_time_units().days_per_unit[clv_backtest_settings().unit] -%}

with

orders as (
    select * from {{ ref('int_completed_orders_unioned') }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

{{ clv_summary_ctes('orders', 'customers', clv_calibration_end(), days_per_unit) }}

select * from clean_customers
{#- Nothing is fitted with vars ltv_enabled and churn_risk_enabled false: the
    summary stays empty. -#}
{%- if not var('ltv_enabled') and not var('churn_risk_enabled') %}
    where false
{%- endif %}
