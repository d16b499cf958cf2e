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
