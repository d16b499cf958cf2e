{#- One row per active audience (the audience_registry seed) per build: members
    (holdout included), holdout and their share of the clean customers. Kept
    across builds: each build adds its as_of_date, and a rebuild of a date
    deletes and rewrites that date's rows (delete+insert on as_of_date), so the
    sizes over time are one query. Kept on every engine (history_slice_config:
    insert_overwrite of the as_of_date partition on Spark). -#}
{{ config(
    on_schema_change='fail',
    tags=['audiences', 'operations'],
    **history_slice_config(),
) }}

with

members as (
    select * from {{ ref('audience_members') }}
),

registry as (
    select * from {{ ref('audience_registry') }}
),

customer_profile as (
    select * from {{ ref('customer_profile') }}
),

customers as (
    select
        as_of_date,
        count(*) as customer_count
    from customer_profile
    group by as_of_date
),

counts as (
    select
        audience,
        count(*) as member_count,
        sum(case when is_holdout then 1 else 0 end) as holdout_count
    from members
    group by audience
),

sizes as (
    select
        customers.as_of_date,
        registry.audience,
        cast(coalesce(counts.member_count, 0) as bigint) as member_count,
        cast(coalesce(counts.holdout_count, 0) as bigint) as holdout_count,
        cast(customers.customer_count as bigint) as customer_count,
        cast(
            case
                when customers.customer_count = 0 then 0
                else coalesce(counts.member_count, 0) * 1.0 / customers.customer_count
            end as decimal(9, 6)
        ) as member_share
    from registry
    cross join customers
    left join counts
        on registry.audience = counts.audience
    where registry.status = 'active'
)

select * from sizes
