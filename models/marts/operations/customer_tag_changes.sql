{#- Every change of what the CRM sees of a customer's tag, one row per change:
    - from the tag history (rule values, as in the tag marts): one row per
      (customer, tag, version) whose value differs from the customer's previous
      version of that tag, dated by the as_of_date of the build whose history
      slice first shows the new value (changed_as_of) and of the one that
      recorded the old value (previous_as_of). change_type: changed, or removed when the tag
      was deprecated (its column turns null in the history, and its last value
      leaves the CRM table with this explicit row). cause: rule when the tag's
      rule fingerprint (tag_rule_fingerprints) differs between the two builds;
      else data when the customer had an input event of the tag's authoritative
      source (int_customer_events_dated) after previous_as_of up to
      changed_as_of; else time (only the passing of days moved the customer
      across a band). Builds from before the fingerprints were kept cannot show
      rule.
    - new_customer (change_type added, old_value null): the customer's first
      version of the tag, when it is at a build after the tag's first build in
      the history (a customer present at that first build gets no row: that
      would be the whole base). previous_as_of: the build before.
    - override_applied / override_expired: a manual override (the overrides file,
      int_tag_overrides_validated, with its validity dates) that became valid, or
      stopped being valid, between two consecutive builds P < D (build dates:
      tag_rule_fingerprints and the history): at D, old_value is what the CRM
      showed at P (the override then valid, else the rule value recorded up to P)
      and new_value what it shows at D. An override replaced by the next one of
      the same tag is one override_applied row (old: the previous override). Rows
      whose old and new values are equal are left out (nothing changed for the
      CRM); recorded_at is null (no history slice recorded them). -#}

with

versions as (
    select * from {{ ref('int_tag_history_versions_unpivoted') }}
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

overrides as (
    select * from {{ ref('int_tag_overrides_validated') }}
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
        changes.customer_id,
        changes.dimension,
        changes.tag,
        changes.old_value,
        changes.new_value,
        changes.change_type,
        changes.changed_as_of,
        changes.previous_as_of,
        changes.recorded_at,
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
),

{# ---- new customers: first seen after the tag's first build ---- #}

build_dates as (
    select as_of_date from fingerprints
    union
    select as_of_date from versions
),

builds as (
    select
        as_of_date,
        lag(as_of_date) over (order by as_of_date) as previous_as_of
    from build_dates
),

tag_first_builds as (
    select
        tag,
        min(as_of_date) as first_as_of
    from versions
    group by tag
),

new_customers as (
    select
        versions.customer_id,
        registry.dimension,
        versions.tag,
        cast(null as {{ dbt.type_string() }}) as old_value,
        versions.tag_value as new_value,
        'added' as change_type,
        versions.as_of_date as changed_as_of,
        builds.previous_as_of,
        versions.recorded_at,
        'new_customer' as cause
    from versions
    inner join registry
        on versions.tag = registry.tag
    inner join tag_first_builds
        on versions.tag = tag_first_builds.tag
    inner join builds
        on versions.as_of_date = builds.as_of_date
    where
        versions.version_number = 1
        and versions.as_of_date > tag_first_builds.first_as_of
        and versions.tag_value is not null
),

{# ---- manual overrides becoming valid or expiring between two builds ---- #}

build_pairs as (
    select
        previous_as_of,
        as_of_date
    from builds
    where previous_as_of is not null
),

overridden as (
    select distinct
        customer_id,
        tag
    from overrides
),

{# the rule versions of the overridden (customer, tag)s only, each valid from
   its build up to the next version's (null: still valid) #}
overridden_versions as (
    select
        versions.customer_id,
        versions.tag,
        versions.tag_value,
        versions.as_of_date as valid_from_as_of,
        lead(versions.as_of_date) over (
            partition by versions.customer_id, versions.tag
            order by versions.version_number
        ) as valid_until_as_of
    from versions
    inner join overridden
        on
            versions.customer_id = overridden.customer_id
            and versions.tag = overridden.tag
),

{# (override, build pair) for every override that became valid (applied) or
   stopped being valid (expired) in (previous_as_of, as_of_date] #}
override_moves as (
    select
        overrides.customer_id,
        overrides.tag,
        overrides.value as override_value,
        build_pairs.previous_as_of,
        build_pairs.as_of_date,
        case
            when overrides.valid_from > build_pairs.previous_as_of
                then 'override_applied'
            else 'override_expired'
        end as cause
    from overrides
    inner join build_pairs
        on
            -- valid at as_of_date, not at previous_as_of: applied
            (
                overrides.valid_from > build_pairs.previous_as_of
                and overrides.valid_from <= build_pairs.as_of_date
                and coalesce(overrides.valid_until, build_pairs.as_of_date)
                >= build_pairs.as_of_date
            )
            -- valid at previous_as_of, not at as_of_date: expired
            or (
                overrides.valid_from <= build_pairs.previous_as_of
                and overrides.valid_until >= build_pairs.previous_as_of
                and overrides.valid_until < build_pairs.as_of_date
            )
),

{# what the CRM showed at a date: the override valid then, else the rule value
   of the version recorded up to then #}
override_changes as (
    select
        override_moves.customer_id,
        registry.dimension,
        override_moves.tag,
        case
            when override_moves.cause = 'override_applied'
                then coalesce(before_override.value, before_rule.tag_value)
            else override_moves.override_value
        end as old_value,
        case
            when override_moves.cause = 'override_applied'
                then override_moves.override_value
            else after_rule.tag_value
        end as new_value,
        'changed' as change_type,
        override_moves.as_of_date as changed_as_of,
        override_moves.previous_as_of,
        cast(null as {{ dbt.type_timestamp() }}) as recorded_at,
        override_moves.cause,
        after_override.customer_id is not null as is_replaced
    from override_moves
    inner join registry
        on override_moves.tag = registry.tag
    left join overrides as before_override
        on
            override_moves.customer_id = before_override.customer_id
            and override_moves.tag = before_override.tag
            and override_moves.previous_as_of >= before_override.valid_from
            and coalesce(before_override.valid_until, override_moves.previous_as_of)
            >= override_moves.previous_as_of
    left join overrides as after_override
        on
            override_moves.customer_id = after_override.customer_id
            and override_moves.tag = after_override.tag
            and override_moves.as_of_date >= after_override.valid_from
            and coalesce(after_override.valid_until, override_moves.as_of_date)
            >= override_moves.as_of_date
    left join overridden_versions as before_rule
        on
            override_moves.customer_id = before_rule.customer_id
            and override_moves.tag = before_rule.tag
            and override_moves.previous_as_of >= before_rule.valid_from_as_of
            and (
                before_rule.valid_until_as_of is null
                or override_moves.previous_as_of < before_rule.valid_until_as_of
            )
    left join overridden_versions as after_rule
        on
            override_moves.customer_id = after_rule.customer_id
            and override_moves.tag = after_rule.tag
            and override_moves.as_of_date >= after_rule.valid_from_as_of
            and (
                after_rule.valid_until_as_of is null
                or override_moves.as_of_date < after_rule.valid_until_as_of
            )
),

{# an expiry the next override replaces is that override's applied row #}
visible_override_changes as (
    select
        customer_id,
        dimension,
        tag,
        old_value,
        new_value,
        change_type,
        changed_as_of,
        previous_as_of,
        recorded_at,
        cause
    from override_changes
    where
        not (cause = 'override_expired' and is_replaced)
        and old_value is distinct from new_value
),

all_changes as (
    select * from caused
    union all
    select * from new_customers
    union all
    select * from visible_override_changes
)

select * from all_changes
