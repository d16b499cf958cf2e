{#- The value distribution of every tag per build: one row per (as_of_date, tag,
    value) with its customers, its share of the tag's customers and the tag's
    coverage (share of customers whose value is neither unknown nor none). Rule
    values (the marts), not manual overrides. Kept across builds like
    audience_sizes: each build adds its as_of_date, a rebuild of a date deletes
    and rewrites that date's rows (delete+insert on as_of_date), so a value's
    share over time is one query and the drift test compares a build with the
    one before it. Kept on every engine (history_slice_config:
    insert_overwrite of the as_of_date partition on Spark). -#}
{{ config(on_schema_change='append_new_columns', **history_slice_config()) }}

with

rule_tags as (
    select * from {{ ref('int_customer_tags_unpivoted') }}
),

registry as (
    select * from {{ ref('tag_registry') }}
),

value_counts as (
    select
        as_of_date,
        tag,
        rule_value as tag_value,
        count(*) as customers
    from rule_tags
    group by as_of_date, tag, rule_value
),

tag_totals as (
    select
        as_of_date,
        tag,
        sum(customers) as tag_customers,
        coalesce(
            sum(customers) filter (where tag_value not in ('unknown', 'none')), 0
        ) as covered_customers
    from value_counts
    group by as_of_date, tag
),

shares as (
    select
        value_counts.as_of_date,
        registry.dimension,
        value_counts.tag,
        value_counts.tag_value,
        cast(value_counts.customers as {{ dbt.type_bigint() }}) as customers,
        cast(
            value_counts.customers * 1.0 / tag_totals.tag_customers
            as {{ type_double() }}
        ) as value_share,
        cast(tag_totals.tag_customers as {{ dbt.type_bigint() }}) as tag_customers,
        cast(
            tag_totals.covered_customers * 1.0 / tag_totals.tag_customers
            as {{ type_double() }}
        ) as coverage
    from value_counts
    inner join tag_totals
        on
            value_counts.as_of_date = tag_totals.as_of_date
            and value_counts.tag = tag_totals.tag
    inner join registry
        on value_counts.tag = registry.tag
)

select * from shares
