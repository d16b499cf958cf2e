{#- Health of every tag's rule, one row per build and tag: how many customers
    are unknown or other (a rule whose input is missing or unmapped), how
    concentrated the values are, and how many customers' tag changed at the
    latest version date of its mart's history, so a stale rule (nothing ever
    changes) or a broken one (everything changes, or all unknown) shows. Rule values (the marts), not
    manual overrides. A test warns when unknown_share exceeds var
    tag_health_max_unknown_share. Shares are cast to a double on every engine
    (PostgreSQL's division gives numeric): the contract declares them so. Kept
    across builds like tag_value_health: a rebuild of a date replaces its rows
    (history_slice_config: delete+insert on as_of_date, insert_overwrite of the
    as_of_date partition on Spark). -#}
{{ config(on_schema_change='append_new_columns', **history_slice_config()) }}

with

rule_tags as (
    select * from {{ ref('int_customer_tags_unpivoted') }}
),

{# the history up to this build's date: a date built after a later one gets
   the row an in-order build would have given it #}
versions as (
    select * from {{ ref('int_tag_history_versions_unpivoted') }}
    where as_of_date <= {{ as_of_date() }}
),

{# the rule-value changes of the history: a new customer's first value and a
   manual override are not the rule changing a customer #}
changes as (
    select * from {{ ref('customer_tag_changes') }}
    where
        cause in ('rule', 'data', 'time')
        and changed_as_of <= {{ as_of_date() }}
),

registry as (
    select * from {{ ref('tag_registry') }}
),

value_counts as (
    select
        tag,
        rule_value,
        count(*) as customers,
        row_number() over (
            partition by tag order by count(*) desc, rule_value asc
        ) as value_rank
    from rule_tags
    group by tag, rule_value
),

value_stats as (
    select
        tag,
        cast(sum(customers) as bigint) as customers,
        count(*) as distinct_values,
        cast(
            coalesce(sum(customers) filter (where rule_value = 'unknown'), 0)
            as bigint
        ) as unknown_customers,
        cast(
            coalesce(sum(customers) filter (where rule_value = 'other'), 0)
            as bigint
        ) as other_customers,
        max(rule_value) filter (where value_rank = 1) as top_value,
        max(customers) filter (where value_rank = 1) as top_value_customers
    from value_counts
    group by tag
),

tag_dates as (
    select
        tag,
        max(as_of_date) as as_of_date
    from rule_tags
    group by tag
),

snapshot_dates as (
    select
        mart,
        max(as_of_date) as snapshot_as_of
    from versions
    group by mart
),

latest_changes as (
    select
        changes.tag,
        count(distinct changes.customer_id) as changed_customers
    from changes
    inner join registry
        on changes.tag = registry.tag
    inner join snapshot_dates
        on
            registry.mart = snapshot_dates.mart
            and changes.changed_as_of = snapshot_dates.snapshot_as_of
    group by changes.tag
),

last_changes as (
    select
        tag,
        max(changed_as_of) as last_changed_as_of
    from changes
    group by tag
),

health as (
    select
        registry.dimension,
        value_stats.tag,
        tag_dates.as_of_date,
        value_stats.customers,
        value_stats.distinct_values,
        value_stats.unknown_customers,
        cast(
            value_stats.unknown_customers * 1.0 / value_stats.customers
            as {{ type_double() }}
        ) as unknown_share,
        value_stats.other_customers,
        cast(
            value_stats.other_customers * 1.0 / value_stats.customers
            as {{ type_double() }}
        ) as other_share,
        value_stats.top_value,
        cast(
            value_stats.top_value_customers * 1.0 / value_stats.customers
            as {{ type_double() }}
        ) as top_value_share,
        snapshot_dates.snapshot_as_of,
        case
            when snapshot_dates.snapshot_as_of is not null
                then coalesce(latest_changes.changed_customers, 0)
        end as changed_customers,
        case
            when snapshot_dates.snapshot_as_of is not null
                then
                    cast(
                        coalesce(latest_changes.changed_customers, 0) * 1.0
                        / value_stats.customers
                        as {{ type_double() }}
                    )
        end as changed_share,
        last_changes.last_changed_as_of
    from value_stats
    inner join registry
        on value_stats.tag = registry.tag
    inner join tag_dates
        on value_stats.tag = tag_dates.tag
    left join snapshot_dates
        on registry.mart = snapshot_dates.mart
    left join latest_changes
        on value_stats.tag = latest_changes.tag
    left join last_changes
        on value_stats.tag = last_changes.tag
)

select * from health
