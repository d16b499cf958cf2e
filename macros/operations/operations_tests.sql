{#- Fails on each (mart, tag) pair that is active in the tag registry but not in
    tag_marts(), or the other way round: the snapshots' check_cols and every
    operations model are generated from tag_marts(). -#}
{% test matches_tag_marts_macro(model, registry) %}

with

registry_tags as (
    select
        mart,
        tag
    from {{ registry }}
    where status = 'active'
),

macro_tags as (
    {%- for mart, tags in tag_marts().items() %}
    {%- set outer_loop = loop %}
    {%- for tag in tags %}
    select
        '{{ mart }}' as mart,
        '{{ tag }}' as tag
    {%- if not (outer_loop.last and loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
),

violations as (
    select
        coalesce(registry_tags.mart, macro_tags.mart) as mart,
        coalesce(registry_tags.tag, macro_tags.tag) as tag,
        case
            when macro_tags.tag is null then 'in the registry, not in tag_marts()'
            else 'in tag_marts(), not in the registry'
        end as problem
    from registry_tags
    full outer join macro_tags
        on
            registry_tags.mart = macro_tags.mart
            and registry_tags.tag = macro_tags.tag
    where registry_tags.tag is null or macro_tags.tag is null
)

select * from violations

{% endtest %}

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

{#- Fails on each (customer, tag) where the wide profile disagrees with the long
    table compare_model (customer_tags): a customer missing on either side or a
    tag value that differs. -#}
{% test agrees_with_customer_tags(model, compare_model) %}

with

long_tags as (
    select * from {{ compare_model }}
),

profile_tags as (
    {%- for tag in tag_names() %}
    select
        customer_id,
        '{{ tag }}' as tag,
        cast({{ tag }} as varchar) as profile_value
    from {{ model }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

violations as (
    select
        coalesce(long_tags.customer_id, profile_tags.customer_id) as customer_id,
        coalesce(long_tags.tag, profile_tags.tag) as tag,
        long_tags.value,
        profile_tags.profile_value
    from long_tags
    full outer join profile_tags
        on
            long_tags.customer_id = profile_tags.customer_id
            and long_tags.tag = profile_tags.tag
    where
        long_tags.customer_id is null
        or profile_tags.customer_id is null
        or long_tags.value is distinct from profile_tags.profile_value
)

select * from violations

{% endtest %}
