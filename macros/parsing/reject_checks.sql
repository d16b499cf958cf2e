{#- Staging classifies each raw row by the first check it fails.
    checks: list of (condition_sql, reject_reason, column) in priority order.
    field 1 renders the reason, field 2 the column at fault; both null = passes. -#}
{% macro first_failed_check(checks, field) -%}
    case
        {%- for check in checks %}
        when {{ check[0] }} then '{{ check[field] }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- 'clean', 'superseded' (an older or repeated version of a clean key) or
    'rejected'. Newest version wins: order_by lists the tie-breaks, newest first. -#}
{% macro row_status(key, order_by) -%}
    case
        when reject_reason is not null then 'rejected'
        when row_number() over (
            partition by {{ key }}, reject_reason is null
            order by {{ order_by }}
        ) = 1 then 'clean'
        else 'superseded'
    end
{%- endmacro %}

{#- The two classification CTEs every base model ends with: `checked` (reason and
    column of the first failed check) and `classified` (row_status). -#}
{% macro classify_rows(from_cte, checks, key, order_by) -%}
checked as (
    select
        *,
        {{ first_failed_check(checks, 1) }} as reject_reason,
        {{ first_failed_check(checks, 2) }} as reject_column
    from {{ from_cte }}
),

classified as (
    select
        *,
        {{ row_status(key, order_by) }} as row_status
    from checked
)
{%- endmacro %}
