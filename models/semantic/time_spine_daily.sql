{#- One row per calendar day, the time spine the MetricFlow semantic layer joins
    time-based metrics to: from time_spine_years_back years before as_of_date to
    ltv_horizon_years after it (the horizon of the predicted values). -#}

{%- set first_day = dbt.dateadd('year', -var('time_spine_years_back'), as_of_date()) -%}
{%- set last_day = dbt.dateadd('year', var('ltv_horizon_years'), as_of_date()) -%}

with

spine as (
    {{ dbt.date_spine('day', first_day, dbt.dateadd('day', 1, last_day)) }}
),

days as (
    select cast(date_day as date) as date_day
    from spine
)

select * from days
