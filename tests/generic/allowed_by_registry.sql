{#- Fails on values of a tag column that the tag registry does not allow, and on
    every row when the registry has no entry for the column. Allowed values are the
    registry's '|'-separated allowed_values; open tags (open_values = true) also
    accept any lower-case code (product categories). -#}
{% test allowed_by_registry(model, column_name) %}

with

registry as (
    select
        '|' || allowed_values || '|' as allowed_values,
        open_values
    from {{ ref('tag_registry') }}
    where tag = '{{ column_name }}'
),

tag_values as (
    select cast({{ column_name }} as {{ dbt.type_string() }}) as tag_value
    from {{ model }}
),

violations as (
    select tag_values.tag_value
    from tag_values
    left join registry
        on registry.allowed_values like '%|' || tag_values.tag_value || '|%'
        or (registry.open_values and tag_values.tag_value = lower(tag_values.tag_value))
    where registry.allowed_values is null
)

select * from violations

{% endtest %}
