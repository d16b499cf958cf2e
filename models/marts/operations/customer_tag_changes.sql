{#- Every recorded tag change: one row per (customer, tag, snapshot version) whose
    value differs from the customer's previous version of that tag. Dated by the
    as_of_date of the build whose snapshot saw the new value (changed_as_of) and
    of the one that recorded the old value (previous_as_of). A customer's first
    version is an assignment, not a change. Rule values, as in the tag marts.
    change_type: changed, or removed when the tag was deprecated (status
    deprecated in the catalogue: its column turns null in the history, and its
    last value leaves the CRM table with this explicit row).
    cause: rule when the tag's rule fingerprint (tag_rule_fingerprints) differs
    between the two builds; else data when the customer had an input event of
    the tag's authoritative source (int_customer_events_dated) after
    previous_as_of up to changed_as_of; else time (only the passing of days
    moved the customer across a band). Builds from before the fingerprints were
    kept cannot show rule. -#}

with

versions as (
    select * from {{ ref('int_tag_snapshot_versions_unpivoted') }}
),

registry as (
    select * from {{ ref('tag_registry') }}
),

fingerprints as (
    select * from {{ ref('tag_rule_fingerprints') }}
),

events as (
    select * from {{ ref('int_customer_events_dated') }}
),

event_sources as (
    select distinct event_source from events
),

tag_sources as (
    {#- the registry's authoritative_source: one source, or several joined by
        '|' (e.g. orders|promotions) -#}
    select
        registry.tag,
        event_sources.event_source
    from registry
    inner join event_sources
        on
            {{ dbt.position(dbt.concat(["'|'", "event_sources.event_source", "'|'"]),
                dbt.concat(["'|'", "registry.authoritative_source", "'|'"])) }} > 0
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
),

rule_changed as (
    select distinct
        changes.customer_id,
        changes.tag,
        changes.changed_as_of
    from changes
    inner join fingerprints as new_rule
        on
            changes.tag = new_rule.tag
            and changes.changed_as_of = new_rule.as_of_date
    inner join fingerprints as old_rule
        on
            changes.tag = old_rule.tag
            and changes.previous_as_of = old_rule.as_of_date
    where new_rule.fingerprint != old_rule.fingerprint
),

data_changed as (
    select distinct
        changes.customer_id,
        changes.tag,
        changes.changed_as_of
    from changes
    inner join tag_sources
        on changes.tag = tag_sources.tag
    inner join events
        on
            changes.customer_id = events.customer_id
            and tag_sources.event_source = events.event_source
            and changes.previous_as_of < events.event_date
            and changes.changed_as_of >= events.event_date
),

caused as (
    select
        changes.*,
        case
            when rule_changed.tag is not null then 'rule'
            when data_changed.tag is not null then 'data'
            else 'time'
        end as cause
    from changes
    left join rule_changed
        on
            changes.customer_id = rule_changed.customer_id
            and changes.tag = rule_changed.tag
            and changes.changed_as_of = rule_changed.changed_as_of
    left join data_changed
        on
            changes.customer_id = data_changed.customer_id
            and changes.tag = data_changed.tag
            and changes.changed_as_of = data_changed.changed_as_of
)

select * from caused
