{#- Service tags, one row per clean customer. Source: service_interactions.
    Satisfaction compares the rating sum with threshold x rated interactions,
    exactly (the mean is shown for reading). -#}
{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" -%}

with

service_metrics as (
    select * from {{ ref('int_customers_service_summarised') }}
),

tagged as (
    select
        customer_id,
        {{ as_of_date }} as as_of_date,
        case
            when complaint_count = 0 then 'none'
            when complaint_count < {{ var('complaints_multiple_min') }} then 'one'
            else 'multiple'
        end as complaints,
        case
            when rated_interaction_count = 0 then 'unknown'
            else {{ band_ladder('satisfaction_sum', [
                ('>=', var('satisfaction_very_satisfied_min')
                    ~ ' * rated_interaction_count', 'very_satisfied'),
                ('>=', var('satisfaction_satisfied_min')
                    ~ ' * rated_interaction_count', 'satisfied'),
            ], otherwise='dissatisfied') }}
        end as satisfaction,
        complaint_count,
        mean_satisfaction,
        rated_interaction_count
    from service_metrics
)

select * from tagged
