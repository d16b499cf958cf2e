{#- Every recorded version of every tag: the six tag snapshots unpivoted into
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

customer_tags_basic_snapshot as (
    {{ tag_snapshot_or_empty('customer_tags_basic') }}
),

customer_tags_basic_versions as {{ cte_materialized() }} (
    {{ tag_snapshot_versions('customer_tags_basic') }}
),

customer_tags_behavior_snapshot as (
    {{ tag_snapshot_or_empty('customer_tags_behavior') }}
),

customer_tags_behavior_versions as {{ cte_materialized() }} (
    {{ tag_snapshot_versions('customer_tags_behavior') }}
),

customer_tags_value_snapshot as (
    {{ tag_snapshot_or_empty('customer_tags_value') }}
),

customer_tags_value_versions as {{ cte_materialized() }} (
    {{ tag_snapshot_versions('customer_tags_value') }}
),

customer_tags_preference_snapshot as (
    {{ tag_snapshot_or_empty('customer_tags_preference') }}
),

customer_tags_preference_versions as {{ cte_materialized() }} (
    {{ tag_snapshot_versions('customer_tags_preference') }}
),

customer_tags_lifecycle_snapshot as (
    {{ tag_snapshot_or_empty('customer_tags_lifecycle') }}
),

customer_tags_lifecycle_versions as {{ cte_materialized() }} (
    {{ tag_snapshot_versions('customer_tags_lifecycle') }}
),

customer_tags_service_snapshot as (
    {{ tag_snapshot_or_empty('customer_tags_service') }}
),

customer_tags_service_versions as {{ cte_materialized() }} (
    {{ tag_snapshot_versions('customer_tags_service') }}
),

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
    ) }}
)

select * from unpivoted
