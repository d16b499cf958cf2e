{#- One row per clean customer with every tag as a column, for BI: the final
    values of customer_tags (manual overrides applied), integer tags (scores) as
    integers, plus which tags a reviewer set by hand. Tags only: no PII. -#}
{%- set registry_relation = ref('tag_registry') -%}
{%- set integer_tags = [] -%}
{%- if execute and relation_exists(registry_relation) -%}
    {%- set integer_tags = run_query(
        "select tag from " ~ registry_relation ~ " where value_type = 'integer'"
    ).columns[0].values() -%}
{%- endif %}

with

customer_tags as (
    select * from {{ ref('customer_tags') }}
),

profiles as (
    select
        customer_id,
        {{ as_of_date() }} as as_of_date,
        {{ pivot_tag_columns(integer_tags) }},
        {{ sorted_text_agg('tag', "', '", "assigned_by = 'manual'") }}
            as manual_tags
    from customer_tags
    group by customer_id
)

select * from profiles
