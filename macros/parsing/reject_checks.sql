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

{#- The classification CTEs every base model ends with: `checked` (reason and
    column of the first failed check) and `classified` (row_status: 'clean',
    'superseded' (an older or repeated version of a clean key) or 'rejected').
    Newest version wins: order_by lists the tie-breaks, newest first. The key is
    never null on a row that passes the checks (the first check rejects it).

    A row_number() over every row sorted the wide parsed rows (4 of 10 s CPU for
    the customers at 10m): a hash aggregate finds the keys with several valid
    versions (about 1 % of the rows), only those are ranked, over the key and
    order columns, and the ranks are joined back by _source_row. -#}
{% macro classify_rows(from_cte, checks, key, order_by) -%}
{# Materialised once: read three times below. #}
checked as {{ cte_materialized() }} (
    select
        *,
        {{ first_failed_check(checks, 1) }} as reject_reason,
        {{ first_failed_check(checks, 2) }} as reject_column
    from {{ from_cte }}
),

multi_version_keys as (
    select {{ key }}
    from checked
    where reject_reason is null
    group by {{ key }}
    having count(*) > 1
),

multi_version_ranks as (
    select
        _source_row,
        row_number() over (
            partition by {{ key }}
            order by {{ order_by }}
        ) as version_rank
    from checked
    where
        reject_reason is null
        and {{ key }} in (select multi_version_keys.{{ key }} from multi_version_keys)
),

classified as (
    select
        checked.*,
        case
            when checked.reject_reason is not null then 'rejected'
            when coalesce(multi_version_ranks.version_rank, 1) = 1 then 'clean'
            else 'superseded'
        end as row_status
    from checked
    left join multi_version_ranks
        on checked._source_row = multi_version_ranks._source_row
)
{%- endmacro %}
