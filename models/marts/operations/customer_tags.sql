{#- Every tag of every clean customer in one long table, the shape CRM systems
    import tags in: one row per (customer_id, tag). The value is the rule's (or
    the LTV model's) from the tag marts, unless a manual review override is valid
    at as_of_date: then the override's value, assigned_by = manual. Labels from
    tag_value_labels; values without a label row (product categories) show the
    code itself. Each row's reason (reason_zh, reason_en): the band that matched
    and the metric's value (int_customer_tags_unpivoted, from the catalogue), or
    for an override the reviewer's note. Who assigned it (rule, model, manual)
    comes from the registry's assigned_by. -#}

with

rule_tags as (
    select * from {{ ref('int_customer_tags_unpivoted') }}
),

overrides as (
    select * from {{ ref('int_tag_overrides_validated') }}
),

registry as (
    select * from {{ ref('tag_registry') }}
),

labels as (
    select * from {{ ref('tag_value_labels') }}
),

active_overrides as (
    select
        customer_id,
        tag,
        value as override_value,
        reason as override_reason,
        reviewer as override_reviewer,
        override_row
    from overrides
    where override_status = 'active'
),

assigned as (
    select
        rule_tags.customer_id,
        registry.dimension,
        rule_tags.tag,
        coalesce(active_overrides.override_value, rule_tags.rule_value)
            as value, -- noqa: RF04
        case
            when active_overrides.override_row is not null then 'manual'
            else registry.assigned_by
        end as assigned_by,
        registry.authoritative_source,
        case
            when active_overrides.override_row is not null then {{ as_of_date() }}
            else rule_tags.as_of_date
        end as as_of_date,
        case
            when active_overrides.override_row is not null
                then
                    '人工复核：' || active_overrides.override_reason
                    || '（' || active_overrides.override_reviewer || '）'
            else rule_tags.reason_zh
        end as reason_zh,
        case
            when active_overrides.override_row is not null
                then
                    'manual review: ' || active_overrides.override_reason
                    || ' (' || active_overrides.override_reviewer || ')'
            else rule_tags.reason_en
        end as reason_en,
        rule_tags.rule_value,
        active_overrides.override_row
    from rule_tags
    inner join registry
        on rule_tags.tag = registry.tag
    left join active_overrides
        on
            rule_tags.customer_id = active_overrides.customer_id
            and rule_tags.tag = active_overrides.tag
),

labelled as (
    select
        assigned.customer_id,
        assigned.dimension,
        assigned.tag,
        assigned.value,
        coalesce(labels.label_zh, assigned.value) as label_zh,
        coalesce(labels.label_en, assigned.value) as label_en,
        assigned.assigned_by,
        assigned.authoritative_source,
        assigned.as_of_date,
        assigned.reason_zh,
        assigned.reason_en,
        assigned.rule_value,
        assigned.override_row
    from assigned
    left join labels
        on
            assigned.tag = labels.tag
            and assigned.value = labels.value
)

select * from labelled
