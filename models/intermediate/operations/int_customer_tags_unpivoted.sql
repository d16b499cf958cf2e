{#- Every tag of every clean customer as a row: the six tag marts unpivoted into
    (customer_id, mart, tag, rule_value), values as text. Rule values as the marts
    computed them, before manual overrides. The tag columns come from
    tag_marts(), which a data test keeps equal to the tag registry. -#}

with

customer_tags_basic as (
    select * from {{ ref('customer_tags_basic') }}
),

customer_tags_behavior as (
    select * from {{ ref('customer_tags_behavior') }}
),

customer_tags_value as (
    select * from {{ ref('customer_tags_value') }}
),

customer_tags_preference as (
    select * from {{ ref('customer_tags_preference') }}
),

customer_tags_lifecycle as (
    select * from {{ ref('customer_tags_lifecycle') }}
),

customer_tags_service as (
    select * from {{ ref('customer_tags_service') }}
),

unpivoted as (
    {{ union_tag_columns(['customer_id', 'as_of_date'], 'rule_value') }}
)

select * from unpivoted
