{#- The distinct calibration (x, m) of the backtest with the number of customers
    behind each (int_clv_spend_grouped's rows for the calibration summary): what
    the backtest's Gamma-Gamma fit and its spend remedy read. Empty when the
    summary is. -#}
{{ config(materialized='table') }}

with

summarised as (
    select * from {{ ref('int_customers_clv_calibration_summarised') }}
),

grouped as (
    {{ clv_grouped_with_counts('summarised', ['frequency', 'monetary_value']) }}
)

select * from grouped
