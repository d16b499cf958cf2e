{#- Fails on each (customer, tag) where the long tag table disagrees with the tag
    mart: a row missing on either side, a rule/model value different from the
    mart's, or a manual row whose rule_value is not the mart's. -#}
{% test agrees_with_tag_marts(model) %}

with

long_tags as (
    select * from {{ model }}
),

{%- for mart in tag_marts() %}

{{ mart }} as (
    select * from {{ ref(mart) }}
),
{%- endfor %}

mart_tags as (
    {{ union_tag_columns(['customer_id'], 'mart_value') }}
),

violations as (
    select
        coalesce(long_tags.customer_id, mart_tags.customer_id) as customer_id,
        coalesce(long_tags.tag, mart_tags.tag) as tag,
        long_tags.value,
        long_tags.rule_value,
        long_tags.assigned_by,
        mart_tags.mart_value
    from long_tags
    full outer join mart_tags
        on
            long_tags.customer_id = mart_tags.customer_id
            and long_tags.tag = mart_tags.tag
    where
        long_tags.customer_id is null
        or mart_tags.customer_id is null
        or long_tags.rule_value is distinct from mart_tags.mart_value
        or (
            long_tags.assigned_by != 'manual'
            and long_tags.value is distinct from mart_tags.mart_value
        )
)

select * from violations

{% endtest %}
