{#- One row per calendar day, the time spine the MetricFlow semantic layer joins
    time-based metrics to: from time_spine_years_back years before as_of_date to
    ltv_horizon_years after it (the horizon of the predicted values). -#}
{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" -%}

with

days as (
    select cast(generate_series as date) as date_day
    from generate_series(
        {{ as_of_date }} - to_years({{ var('time_spine_years_back') }}),
        {{ as_of_date }} + to_years({{ var('ltv_horizon_years') }}),
        interval 1 day
    )
)

select * from days
