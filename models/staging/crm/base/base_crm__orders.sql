{#- Every raw order row, parsed, normalised and classified as clean, rejected
    (with reason and column) or superseded. Orders whose customer is not a clean
    customer are rejected (orphan_customer): the one place staging reads another
    staging model (DECISIONLOG 2026-11-26). -#}
{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" -%}
{%- set checks = [
    ("order_id is null", "null_key", "order_id"),
    ("updated_at is null", "bad_timestamp", "updated_at"),
    ("order_date is null", "bad_date", "order_date"),
    ("amount is null", "bad_number", "amount"),
    ("cost is null", "bad_number", "cost"),
    ("amount < 0", "negative_amount", "amount"),
    ("cost < 0", "negative_amount", "cost"),
    ("status is null", "bad_status", "status"),
    ("order_date > " ~ as_of_date, "future_date", "order_date"),
    ("customer_id is null or not has_known_customer", "orphan_customer",
        "customer_id"),
] -%}

with

source as (
    select * from {{ source('crm', 'orders') }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

status_aliases as ({{ code_aliases('order_status') }}),

parsed as (
    select
        _source_file,
        _source_row,
        {{ raw_text_columns('orders') }}
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_date('order_date') }} as order_date,
        coalesce(
            replace({{ alias_key('product_category') }}, ' ', '_'), 'unknown'
        ) as product_category,
        {{ parse_decimal('amount') }} as amount,
        {{ parse_decimal('cost') }} as cost,
        {{ clean_text('promotion_id') }} as promotion_id,
        {{ alias_key('status') }} as status_key,
        {{ parse_timestamp('updated_at') }} as updated_at
    from source
),

normalised as (
    select
        parsed.*,
        status_aliases.code as status,
        customers.customer_id is not null as has_known_customer
    from parsed
    left join status_aliases
        on parsed.status_key = status_aliases.alias
    left join customers
        on parsed.customer_id = customers.customer_id
),

{{ classify_rows(
    'normalised', checks, 'order_id', 'updated_at desc, _source_row desc'
) }}

select * from classified
