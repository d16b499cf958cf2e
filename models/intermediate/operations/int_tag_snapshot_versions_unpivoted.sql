{#- Every recorded version of every tag: the tag snapshots (tag_history_marts():
    active and deprecated tags of each mart, from the catalogue) unpivoted into
    (customer_id, mart, tag, tag_value) per snapshot version, with the previous
    version's value and as_of_date. Versions of one customer are ordered by when
    the snapshot recorded them (dbt_valid_from), so snapshots are to be taken in
    as_of_date order (docs/operations.md). A snapshot table that does not exist
    yet (`dbt run` before the first `dbt snapshot`) counts as empty. -#}
{#- A tag's versions are the rows of its mart's snapshot, so each snapshot row
    gets its previous version (tag_snapshot_versions: one window per snapshot,
    over customers) before the unpivot, instead of a window per (customer, tag)
    over 20 times as many rows (docs/performance.md). Each _versions CTE is read
    once per tag of its mart. -#}

with

{% for mart in tag_history_marts() %}
    {{ mart }}_snapshot as (
        {{ tag_snapshot_or_empty(mart) }}
    ),

    {{ mart }}_versions as {{ cte_materialized() }} (
        {{ tag_snapshot_versions(mart) }}
    ),
{% endfor %}

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
            'cast(previous_{tag} as varchar) as previous_value',
            'previous_as_of_date',
            'version_number',
        ],
        marts=tag_history_marts(),
    ) }}
)

select * from unpivoted
