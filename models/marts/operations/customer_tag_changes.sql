{#- Every recorded tag change: one row per (customer, tag, snapshot version) whose
    value differs from the customer's previous version of that tag. Dated by the
    as_of_date of the build whose snapshot saw the new value (changed_as_of) and
    of the one that recorded the old value (previous_as_of). A customer's first
    version is an assignment, not a change. Rule values, as in the tag marts.
    change_type: changed, or removed when the tag was deprecated (status
    deprecated in the catalogue: its column turns null in the history, and its
    last value leaves the CRM table with this explicit row). -#}

with

versions as (
    select * from {{ ref('int_tag_snapshot_versions_unpivoted') }}
),

registry as (
    select * from {{ ref('tag_registry') }}
),

changes as (
    select
        versions.customer_id,
        registry.dimension,
        versions.tag,
        versions.previous_value as old_value,
        versions.tag_value as new_value,
        case
            when versions.tag_value is null then 'removed' else 'changed'
        end as change_type,
        versions.as_of_date as changed_as_of,
        versions.previous_as_of_date as previous_as_of,
        versions.recorded_at
    from versions
    inner join registry
        on versions.tag = registry.tag
    where
        versions.version_number > 1
        and versions.tag_value is distinct from versions.previous_value
)

select * from changes
