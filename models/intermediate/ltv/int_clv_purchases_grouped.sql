{#- The distinct (x, t_x, T) of the CLV summary with the number of customers
    behind each: all the BG/NBD and MBG/NBD likelihoods read (a customer enters
    them only through x, t_x and T), and the rows the SQL scoring evaluates the
    hypergeometric series on. Bounded by the days of history, not by the
    customers, but large: 412,444 rows for 539,459 buyers at 10 million orders
    (docs/scaling.md). The client-side fit (scripts/clv.py fit) pulls it from
    PostgreSQL or Spark. Empty when the summary is. -#}
{{ config(materialized='table') }}

with

summarised as (
    select * from {{ ref('int_customers_clv_summarised') }}
),

grouped as (
    {{ clv_grouped_with_counts(
        'summarised', ['frequency', 'recency', 'customer_age']
    ) }}
)

select * from grouped
