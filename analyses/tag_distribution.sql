{#- Customers per value of every tag, per dimension, with the BI labels: the first
    thing to look at after a build. Generated from the tag registry seed at compile
    time, so a new tag appears here without editing this file. -#}
-- depends_on: {{ ref('tag_registry') }}
-- depends_on: {{ ref('customer_tags_basic') }}, {{ ref('customer_tags_behavior') }}
-- depends_on: {{ ref('customer_tags_value') }}, {{ ref('customer_tags_preference') }}
-- depends_on: {{ ref('customer_tags_lifecycle') }}, {{ ref('customer_tags_service') }}
{%- set registry = [] -%}
{%- if execute -%}
    {%- set registry = run_query(
        "select tag, mart, dimension from " ~ ref('tag_registry') ~ " order by mart, tag"
    ).rows -%}
{%- endif %}

with

labels as (
    select * from {{ ref('tag_value_labels') }}
),

-- The union is generated per registry tag; its layout is Jinja's.
-- noqa: disable=LT02
tag_values as (
    {%- for tag, mart, dimension in registry %}
    select
        '{{ dimension }}' as dimension,
        '{{ tag }}' as tag,
        cast({{ tag }} as varchar) as tag_value
    from {{ ref(mart) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),
-- noqa: enable=LT02

distribution as (
    select
        tag_values.dimension,
        tag_values.tag,
        tag_values.tag_value,
        labels.label_zh,
        labels.label_en,
        count(*) as customers
    from tag_values
    left join labels
        on
            tag_values.tag = labels.tag
            and tag_values.tag_value = labels.value
    group by all
)

select * from distribution
order by dimension asc, tag asc, customers desc
