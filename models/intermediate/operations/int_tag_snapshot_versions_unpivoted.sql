{#- Every recorded version of every tag: the six tag snapshots unpivoted into
    (customer_id, mart, tag, tag_value) per snapshot version, with the previous
    version's value and as_of_date. Versions of one customer are ordered by when
    the snapshot recorded them (dbt_valid_from), so snapshots are to be taken in
    as_of_date order (docs/operations.md). A snapshot table that does not exist
    yet (`dbt run` before the first `dbt snapshot`) counts as empty. -#}

with

customer_tags_basic_versions as (
    {{ tag_snapshot_or_empty('customer_tags_basic') }}
),

customer_tags_behavior_versions as (
    {{ tag_snapshot_or_empty('customer_tags_behavior') }}
),

customer_tags_value_versions as (
    {{ tag_snapshot_or_empty('customer_tags_value') }}
),

customer_tags_preference_versions as (
    {{ tag_snapshot_or_empty('customer_tags_preference') }}
),

customer_tags_lifecycle_versions as (
    {{ tag_snapshot_or_empty('customer_tags_lifecycle') }}
),

customer_tags_service_versions as (
    {{ tag_snapshot_or_empty('customer_tags_service') }}
),

unpivoted as (
    {{ union_tag_columns(
        ['customer_id', 'as_of_date', 'dbt_valid_from as recorded_at'],
        'tag_value',
        suffix='_versions',
    ) }}
),

sequenced as (
    select
        customer_id,
        as_of_date,
        cast(recorded_at as timestamp) as recorded_at,
        mart,
        tag,
        tag_value,
        lag(tag_value) over customer_tag_versions as previous_value,
        lag(as_of_date) over customer_tag_versions as previous_as_of_date,
        row_number() over customer_tag_versions as version_number
    from unpivoted
    window customer_tag_versions as (
        partition by customer_id, tag order by recorded_at
    )
)

select * from sequenced
