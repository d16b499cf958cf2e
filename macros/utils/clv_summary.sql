{#- The CLV summary and its grouped rows, shared by the scoring summary
    (int_customers_clv_summarised: up to as_of_date, var ltv_time_unit) and the
    backtest's calibration summary (int_customers_clv_calibration_summarised: up
    to the calibration end, in weeks as tag_warehouse.clv.quality fits). -#}

{#- The logic CTEs of the summary, one row per clean customer with an order on
    or before end_date: purchase_days, summarised and clean_customers (the last
    one is the summary). `orders` and `customers` name the caller's import CTEs
    (completed orders; clean customer ids). A purchase is a purchase DAY (orders
    of one day are merged): x = repeat purchase days, t_x = first to last
    purchase day, T = first purchase day to end_date (both in days /
    days_per_unit), m = mean day amount over the repeat days (0 when x = 0). -#}
{% macro clv_summary_ctes(orders, customers, end_date, days_per_unit) -%}
purchase_days as (
    select
        customer_id,
        order_date,
        sum(amount) as day_amount,
        row_number() over (
            partition by customer_id order by order_date asc
        ) as purchase_day_number
    from {{ orders }}
    where order_date <= {{ end_date }}
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
            {{ days_between('min(order_date)', end_date) }}
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
    inner join {{ customers }}
        on summarised.customer_id = {{ customers }}.customer_id
)
{%- endmacro %}

{#- The distinct rows of `columns` of a CLV summary with the number of
    customers behind each (column customers): the fits' weights. -#}
{% macro clv_grouped_with_counts(summary, columns) -%}
    select
        {{ columns | join(',\n        ') }},
        count(*) as customers
    from {{ summary }}
    group by {{ columns | join(', ') }}
{%- endmacro %}

{#- The last day of the backtest's calibration orders: as_of_date - var
    clv_holdout_days, a date on every engine. -#}
{% macro clv_calibration_end() -%}
    cast({{ dbt.dateadd('day', -var('clv_holdout_days'), as_of_date()) }} as date)
{%- endmacro %}
