{#- Every recorded version of every tag: the six tag snapshots unpivoted into
    (customer_id, mart, tag, tag_value) per snapshot version, with the previous
    version's value and as_of_date. Versions of one customer are ordered by when
    the snapshot recorded them (dbt_valid_from), so snapshots are to be taken in
    as_of_date order (docs/operations.md). A snapshot table that does not exist
    yet (`dbt run` before the first `dbt snapshot`) counts as empty. -#}
{#- A tag's versions are the rows of its mart's snapshot, so the previous version
    is found per snapshot row (one window per snapshot, over customers) before
    unpivoting, not per (customer, tag) over 20 times as many rows
    (docs/performance.md). -#}

with

{% for mart in tag_marts() %}
{{ mart }}_snapshot_rows as (
    {{ tag_snapshot_or_empty(mart) }}
),

{# read once per tag of the mart below #}
{{ mart }}_versions as {{ cte_materialized() }} (
    select
        customer_id,
        as_of_date,
        dbt_valid_from,
        {%- for tag in tag_marts()[mart] %}
        cast({{ tag }} as varchar) as {{ tag }},
        cast(lag({{ tag }}) over customer_versions as varchar)
            as previous_{{ tag }},
        {%- endfor %}
        lag(as_of_date) over customer_versions as previous_as_of_date,
        row_number() over customer_versions as version_number
    from {{ mart }}_snapshot_rows
    window customer_versions as (partition by customer_id order by dbt_valid_from)
),

{% endfor -%}

unpivoted as (
    {{ union_tag_columns(
        [
            'customer_id',
            'as_of_date',
            'cast(dbt_valid_from as timestamp) as recorded_at',
        ],
        'tag_value',
        suffix='_versions',
        extra_columns=[
            'previous_{tag} as previous_value',
            'previous_as_of_date',
            'version_number',
        ],
    ) }}
)

select * from unpivoted
