{#- Every raw order row, parsed, normalised and classified as clean, rejected
    (with reason and column) or superseded, as of as_of_date. A view over
    base_crm__orders_parsed (parsed once, kept incrementally) and the version ranks
    of base_crm__order_versions, adding what depends on as_of_date and on the
    customers: future_date, orphan_customer (the one place staging reads another
    staging model, DECISIONLOG 2026-11-26) and the newest valid version of each
    order. Only orders with several row-valid versions (a small share) need ranking
    here; the raw text is restored from the parsed values and their residuals. -#}
{#- A view, not a table like the other base models: writing 10 million rows costs
    more than classifying them again (docs/performance.md). -#}
{{ config(materialized='view') }}
{%- set canonical = orders_canonical_text() -%}

with

parsed_rows as (
    select * from {{ ref('base_crm__orders_parsed') }}
),

multi_version_orders as (
    select * from {{ ref('base_crm__order_versions') }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

{# version_count: null for rows failing a row check, 1 for the only row-valid
   row of its order. The rows of multi-version orders come from
   base_crm__order_versions with their ranks: a reader that wants only those
   (has_several_versions) never scans the parsed table. #}
single_version_rows as (
    select
        {{ qualified_columns(orders_parsed_columns(), 'parsed_rows') }},
        cast(null as {{ dbt.type_bigint() }}) as version_rank,
        case
            when parsed_rows.row_reject_reason is null then 1
        end as version_count,
        false as has_several_versions
    from parsed_rows
    left join multi_version_orders
        on parsed_rows._source_row = multi_version_orders._source_row
    where multi_version_orders._source_row is null
),

multi_version_rows as (
    select
        {{ qualified_columns(orders_parsed_columns(), 'multi_version_orders') }},
        multi_version_orders.version_rank,
        multi_version_orders.version_count,
        true as has_several_versions
    from multi_version_orders
),

parsed as (
    select * from single_version_rows
    union all
    select * from multi_version_rows
),

normalised as (
    select
        parsed.*,
        customers.customer_id is not null as has_known_customer
    from parsed
    left join customers
        on parsed.customer_id = customers.customer_id
),

checked as (
    select
        *,
        case
            when row_reject_reason is not null then row_reject_reason
            when order_date > {{ as_of_date() }} then 'future_date'
            when customer_id is null or not has_known_customer
                then 'orphan_customer'
        end as reject_reason,
        case
            when row_reject_reason is not null then row_reject_column
            when order_date > {{ as_of_date() }} then 'order_date'
            when customer_id is null or not has_known_customer then 'customer_id'
        end as reject_column
    from normalised
),

valid_versions as (
    select
        multi_version_orders._source_row,
        row_number() over (
            partition by multi_version_orders.order_id
            order by multi_version_orders.version_rank asc
        ) as valid_version_rank
    from multi_version_orders
    inner join customers
        on multi_version_orders.customer_id = customers.customer_id
    where multi_version_orders.order_date <= {{ as_of_date() }}
),

versioned as (
    select
        checked.*,
        valid_versions.valid_version_rank
    from checked
    left join valid_versions
        on checked._source_row = valid_versions._source_row
),

classified as (
    select
        {{ raw_file_literal('orders') }} as _source_file,
        _source_row,
        {{ raw_restored_columns(canonical) }}
        order_id,
        customer_id,
        order_date,
        product_category,
        amount,
        cost,
        promotion_id,
        {{ alias_key(raw_restored('raw_status_if_different', canonical['status'])) }}
            as status_key,
        updated_at,
        status,
        has_known_customer,
        has_several_versions,
        reject_reason,
        reject_column,
        case
            when reject_reason is not null then 'rejected'
            when version_count = 1 or valid_version_rank = 1 then 'clean'
            else 'superseded'
        end as row_status
    from versioned
)

select * from classified
