{#- The distinct calibration (x, t_x, T) of the backtest with the number of
    customers behind each (int_clv_purchases_grouped's rows for the calibration
    summary): what the backtest's BG/NBD and MBG/NBD fits read, and the rows
    its SQL scoring evaluates the series on. Empty when the summary is. -#}
{{ config(materialized='table') }}

with

summarised as (
    select * from {{ ref('int_customers_clv_calibration_summarised') }}
),

grouped as (
    {{ clv_grouped_with_counts(
        'summarised', ['frequency', 'recency', 'customer_age']
    ) }}
)

select * from grouped
