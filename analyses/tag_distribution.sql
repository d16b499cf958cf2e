{#- Customers per value of every tag, per dimension, with the BI labels: the first
    thing to look at after a build. Reads the marts unpivoted (one row per customer
    and tag, rule values), so a new tag of the registry appears here without
    editing this file. -#}

with

rule_tags as (
    select * from {{ ref('int_customer_tags_unpivoted') }}
),

registry as (
    select * from {{ ref('tag_registry') }}
),

labels as (
    select * from {{ ref('tag_value_labels') }}
),

distribution as (
    select
        registry.dimension,
        rule_tags.tag,
        rule_tags.rule_value as tag_value,
        labels.label_zh,
        labels.label_en,
        count(*) as customers
    from rule_tags
    inner join registry
        on rule_tags.tag = registry.tag
    left join labels
        on
            rule_tags.tag = labels.tag
            and rule_tags.rule_value = labels.value
    group by all
)

select * from distribution
order by dimension asc, tag asc, customers desc
