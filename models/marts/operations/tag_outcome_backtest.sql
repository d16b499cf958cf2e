{#- Do tags predict what they claim? One row per (as_of_date, tag, value): the
    customers who held the value at a past build and what they did in the
    tag_backtest_horizon_days days after it. The past tags come from the tag
    history (models/history, unpivoted), not from a recomputation: the base date
    (tags_as_of) is the latest build recorded in tag_rule_fingerprints at least
    the horizon before as_of_date, and a customer's value is its latest version
    recorded on or before it. The outcomes are the completed clean orders dated
    in (tags_as_of, tags_as_of + horizon]: repurchase_share (>= 1 order),
    silent_share (no order: 1 - repurchase_share) and mean_spend (over all the
    group's customers, 0 for the silent ones). No build far enough back: no rows
    (build as of as_of_date - horizon first, docs/operations.md). Kept across
    builds like tag_health (delete+insert on as_of_date; insert_overwrite of
    the as_of_date partition on Spark). The catalogue's expected_outcome orders are tested on it. -#}
{{ config(on_schema_change='append_new_columns', **history_slice_config()) }}
{%- set horizon_days = var('tag_backtest_horizon_days') %}

with

versions as (
    select * from {{ ref('int_tag_history_versions_unpivoted') }}
),

builds as (
    select * from {{ ref('tag_rule_fingerprints') }}
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

registry as (
    select * from {{ ref('tag_registry') }}
),

base_build as (
    select max(as_of_date) as tags_as_of
    from builds
    where
        as_of_date
        <= cast({{ dbt.dateadd('day', -horizon_days, as_of_date()) }} as date)
),

outcome_window as (
    select
        tags_as_of,
        cast({{ dbt.dateadd('day', horizon_days, 'tags_as_of') }} as date)
            as window_end
    from base_build
    where tags_as_of is not null
),

versions_at_base as (
    select
        versions.customer_id,
        versions.tag,
        versions.tag_value,
        outcome_window.tags_as_of,
        row_number() over (
            partition by versions.customer_id, versions.tag
            order by versions.as_of_date desc, versions.recorded_at desc
        ) as version_rank
    from versions
    inner join outcome_window
        on versions.as_of_date <= outcome_window.tags_as_of
),

{# A deprecated tag's last version is null: no value to test. #}
tags_at_base as (
    select
        customer_id,
        tag,
        tag_value,
        tags_as_of
    from versions_at_base
    where version_rank = 1 and tag_value is not null
),

window_orders as (
    select
        orders.customer_id,
        sum(orders.amount) as window_spend
    from orders
    inner join outcome_window
        on
            orders.order_date > outcome_window.tags_as_of
            and orders.order_date <= outcome_window.window_end
    where orders.is_completed
    group by orders.customer_id
),

outcomes as (
    select
        tags_at_base.tags_as_of,
        tags_at_base.tag,
        tags_at_base.tag_value,
        case when window_orders.customer_id is null then 0 else 1 end
            as has_window_order,
        coalesce(window_orders.window_spend, 0) as window_spend
    from tags_at_base
    left join window_orders
        on tags_at_base.customer_id = window_orders.customer_id
),

backtest as (
    select
        {{ as_of_date() }} as as_of_date,
        outcomes.tags_as_of,
        cast({{ horizon_days }} as integer) as horizon_days,
        registry.dimension,
        outcomes.tag,
        outcomes.tag_value,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers,
        cast(sum(outcomes.has_window_order) as {{ dbt.type_bigint() }})
            as repurchasers,
        cast(
            sum(outcomes.has_window_order) * 1.0 / count(*) as {{ type_double() }}
        ) as repurchase_share,
        cast(
            sum(1 - outcomes.has_window_order) * 1.0 / count(*)
            as {{ type_double() }}
        ) as silent_share,
        cast(sum(outcomes.window_spend) / count(*) as decimal(38, 4)) as mean_spend
    from outcomes
    inner join registry
        on outcomes.tag = registry.tag
    group by
        outcomes.tags_as_of,
        registry.dimension,
        outcomes.tag,
        outcomes.tag_value
)

select * from backtest
