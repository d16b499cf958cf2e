{#- Per-customer service metrics over the window (by occurred_at date), one row
    per clean customer: interactions, complaints, mean satisfaction over rated
    interactions, and the preferred channel (most interactions, ties alphabetical). -#}

with

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

interactions as (
    select * from {{ ref('stg_crm__service_interactions') }}
),

window_interactions as (
    select
        customer_id,
        channel,
        interaction_type,
        satisfaction
    from interactions
    where
        occurred_date <= {{ as_of_date() }}
        and {{ days_between('occurred_date', as_of_date()) }}
        < {{ var('window_days') }}
),

per_customer as (
    select
        customer_id,
        count(*) as interaction_count,
        count(case when interaction_type = 'complaint' then 1 end) as complaint_count,
        count(satisfaction) as rated_interaction_count,
        sum(satisfaction) as satisfaction_sum,
        avg(cast(satisfaction as {{ type_double() }})) as mean_satisfaction
    from window_interactions
    group by customer_id
),

channel_counts as (
    select
        customer_id,
        channel,
        count(*) as channel_interaction_count
    from window_interactions
    group by customer_id, channel
),

ranked_channels as (
    select
        customer_id,
        channel,
        row_number() over (
            partition by customer_id
            order by channel_interaction_count desc, channel asc
        ) as channel_rank
    from channel_counts
),

preferred_channel as (
    select
        customer_id,
        channel as preferred_channel
    from ranked_channels
    where channel_rank = 1
),

summarised as (
    select
        customers.customer_id,
        coalesce(per_customer.interaction_count, 0) as interaction_count,
        coalesce(per_customer.complaint_count, 0) as complaint_count,
        coalesce(per_customer.rated_interaction_count, 0) as rated_interaction_count,
        coalesce(per_customer.satisfaction_sum, 0) as satisfaction_sum,
        per_customer.mean_satisfaction,
        preferred_channel.preferred_channel
    from customers
    left join per_customer
        on customers.customer_id = per_customer.customer_id
    left join preferred_channel
        on customers.customer_id = preferred_channel.customer_id
)

select * from summarised
