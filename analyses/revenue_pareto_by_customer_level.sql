{#- 80/20 check: how much of the window revenue each customer level brings, and the
    cumulative revenue share of the top customers (ranked by window revenue).
    Compile with `dbt compile --select revenue_pareto_by_customer_level` and run the
    SQL in target/compiled/ against the warehouse. -#}

with

value_tags as (
    select * from {{ ref('customer_tags_value') }}
),

ranked as (
    select
        customer_id,
        customer_level,
        window_amount,
        row_number() over (order by window_amount desc, customer_id asc)
            as revenue_rank,
        count(*) over () as customer_count,
        sum(window_amount) over () as total_revenue
    from value_tags
),

by_level as (
    select
        customer_level,
        count(*) as customers,
        sum(window_amount) as revenue,
        sum(window_amount) / nullif(max(total_revenue), 0) as revenue_share,
        count(*) * 1.0 / max(customer_count) as customer_share,
        sum(
            case when revenue_rank <= 0.2 * customer_count then window_amount end
        ) / nullif(sum(window_amount), 0) as share_from_top_fifth
    from ranked
    group by customer_level
)

select * from by_level
order by revenue desc
