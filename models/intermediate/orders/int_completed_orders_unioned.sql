{#- Completed orders dated on or before as_of_date, one row per order: what every
    order metric reads. Two parts:
    - orders with a single row-valid version (about 99 %): read straight from the
      parsed table kept incrementally by staging, without classifying them again;
    - orders with several versions: their clean version from stg_crm__orders (the
      newest valid version depends on as_of_date and on the customers).
    The customer check of the single-version part is left to the readers: each
    aggregates per customer and keeps the clean customers, a join at customer grain
    that costs a fraction of one at order grain (docs/performance.md). -#}
{#- Reads two staging base models: stg_crm__orders classifies every order against
    as_of_date and the customers at each read, the cost this view avoids for the
    orders whose version does not depend on them (DECISIONLOG 2026-11-27). -#}
{{ config(materialized='view') -}}

with

parsed as (
    select * from {{ ref('base_crm__orders_parsed') }}
),

order_versions as (
    select * from {{ ref('base_crm__order_versions') }}
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

{# A row with no customer id is an orphan at every build; one that fails a row
   check is never clean. #}
single_version_orders as (
    select
        parsed.order_id,
        parsed.customer_id,
        parsed.order_date,
        parsed.product_category,
        parsed.promotion_id,
        parsed.amount,
        parsed.cost,
        false as has_several_versions
    from parsed
    left join order_versions
        on parsed._source_row = order_versions._source_row
    where
        order_versions._source_row is null
        and parsed.row_reject_reason is null
        and parsed.customer_id is not null
        and {{ is_completed_order('parsed.status') }}
        and parsed.order_date <= {{ as_of_date() }}
),

multi_version_orders as (
    select
        order_id,
        customer_id,
        order_date,
        product_category,
        promotion_id,
        amount,
        cost,
        has_several_versions
    from orders
    where
        has_several_versions
        and is_completed
),

unioned as (
    select * from single_version_orders
    union all
    select * from multi_version_orders
),

dated as (
    select
        *,
        {{ days_between('order_date', as_of_date()) }} as days_since_order
    from unioned
)

select * from dated
