{#- Customer-level migration matrix of one tag between two dates, from the tag
    history: how many customers went from each value to each value (e.g. how
    many vip became important). A customer's value on a date is the latest
    version its mart's history holds for a build with as_of_date on or before it.
    Vars: migration_tag (default customer_level); migration_to_tag (default the
    same tag: set it to ask e.g. how many vip customers became lifecycle at_risk);
    migration_from_date and migration_to_date (default: the two latest
    as_of_dates recorded for the tags).

        dbt show --select tag_migration_matrix --limit 100 \
            --vars '{migration_tag: lifecycle_stage, migration_from_date: 2026-05-31}'

    (or `dbt compile` and run the SQL in target/compiled/; docs/operations.md).
    Long form: one row per (from_value, to_value); null from_value = not yet a
    customer then. -#}
{%- set from_tag = var('migration_tag', 'customer_level') -%}
{%- set to_tag = var('migration_to_tag', from_tag) -%}
{%- set from_date = var('migration_from_date', '') | string -%}
{%- set to_date = var('migration_to_date', '') | string -%}

with

versions as (
    select * from {{ ref('int_tag_history_versions_unpivoted') }}
),

tag_versions as (
    select
        customer_id,
        tag,
        as_of_date,
        recorded_at,
        tag_value
    from versions
    where tag in ('{{ from_tag }}', '{{ to_tag }}')
),

ranked_dates as (
    select
        as_of_date,
        row_number() over (order by as_of_date desc) as date_rank
    from tag_versions
    group by as_of_date
),

bounds as (
    select
        {%- if from_date %}
        cast('{{ from_date }}' as date) as from_date,
        {%- else %}
            max(as_of_date) filter (where date_rank = 2) as from_date,
        {%- endif %}
        {%- if to_date %}
        cast('{{ to_date }}' as date) as to_date
        {%- else %}
            max(as_of_date) filter (where date_rank = 1) as to_date
        {%- endif %}
    from ranked_dates
),

versions_at_dates as (
    select
        tag_versions.customer_id,
        tag_versions.tag_value,
        tag_versions.recorded_at,
        tag_versions.tag = '{{ from_tag }}'
        and tag_versions.as_of_date <= bounds.from_date as is_from_version,
        tag_versions.tag = '{{ to_tag }}'
        and tag_versions.as_of_date <= bounds.to_date as is_to_version
    from tag_versions
    cross join bounds
),

from_state as (
    select
        customer_id,
        arg_max(tag_value, recorded_at) as from_value
    from versions_at_dates
    where is_from_version
    group by customer_id
),

to_state as (
    select
        customer_id,
        arg_max(tag_value, recorded_at) as to_value
    from versions_at_dates
    where is_to_version
    group by customer_id
),

migrations as (
    select
        '{{ from_tag }}' as from_tag,
        bounds.from_date,
        '{{ to_tag }}' as to_tag,
        bounds.to_date,
        from_state.from_value,
        to_state.to_value,
        count(*) as customers
    from to_state
    left join from_state
        on to_state.customer_id = from_state.customer_id
    cross join bounds
    group by all
),

matrix as (
    select
        *,
        customers * 1.0
        / sum(customers) over (partition by from_value) as share_of_from_value
    from migrations
)

select * from matrix
order by from_value asc nulls first, customers desc
