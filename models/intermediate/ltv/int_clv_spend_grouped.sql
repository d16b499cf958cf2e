{#- The distinct (x, m) of the CLV summary with the number of customers behind
    each: all the Gamma-Gamma likelihood and its spend remedy read (the
    winsorising cap is the quantile of the expanded rows). One-time buyers are
    one row (x = 0, m = 0): the fit skips them, the prediction check does not.
    Empty when the summary is. -#}
{{ config(materialized='table') }}

with

summarised as (
    select * from {{ ref('int_customers_clv_summarised') }}
),

grouped as (
    {{ clv_grouped_with_counts('summarised', ['frequency', 'monetary_value']) }}
)

select * from grouped
