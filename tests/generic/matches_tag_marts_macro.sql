{#- Fails on each (mart, tag) pair that is active in the tag registry but not in
    tag_marts(), or the other way round: the tag history models and every
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
