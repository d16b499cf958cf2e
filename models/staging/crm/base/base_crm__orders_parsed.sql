{#- Every raw orders row parsed once and kept (incremental): the typed values, the
    checks that depend on the row alone, and the raw text wherever it differs from
    the canonical text of its typed value (raw_*_if_different). It does not depend
    on as_of_date or on the customers: base_crm__order_versions ranks the versions
    of each order, base_crm__orders applies future_date, orphan_customer and
    "newest valid version wins" on top of both at every build, so a back-dated
    build stays exact.

    Incremental on DuckDB, like base_crm__customers and with the same macros
    (raw_load_plan, docs/performance.md): while the orders file still holds every
    loaded row unchanged in its place and parses the same way (fingerprints of
    every row, of WAREHOUSE_TIMEZONE, the seeds and the parsing code), a run parses
    only the rows appended since and appends them (a changed order is a new row
    with a newer updated_at). Any other change parses the whole file again, by
    itself, as --full-refresh would. Other engines build a table on every run. -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
) }}
{%- set checks = [
    ("_raw_line is not null", "bad_csv_line", "_raw_line"),
    ("order_id is null", "null_key", "order_id"),
    ("updated_at is null", "bad_timestamp", "updated_at"),
    ("order_date is null", "bad_date", "order_date"),
    ("amount is null", "bad_number", "amount"),
    ("cost is null", "bad_number", "cost"),
    ("amount < 0", "negative_amount", "amount"),
    ("cost < 0", "negative_amount", "cost"),
    ("status is null", "bad_status", "status"),
] -%}
{#- Typed Parquet columns are read as values, the others parsed from text
    (raw_typed_columns). -#}
{%- set typed = raw_typed_columns('orders') -%}
{%- set canonical = orders_canonical_text() -%}
{#- Everything that turns a raw row into its stored values (from the CTE
    `source`): its rendered text is part of the rows' fingerprints. sqlfluff
    would lint the block as if indented:
-- sqlfluff:indentation:template_blocks_indent:False
-#}
{%- set parse_sql -%}
status_aliases as ({{ code_aliases('order_status') }}),

parsed as (
    select
        _source_row,
        _row_fingerprint,
        _loaded_at,
        _raw_line,
        {{ raw_text_columns('orders') }}  -- noqa: LT02
        {{ clean_key('order_id') }} as order_id,
        {{ clean_key('customer_id') }} as customer_id,
        {{ parse_date('order_date', typed) }} as order_date,
        coalesce(
            replace({{ alias_key('product_category') }}, ' ', '_'), 'unknown'
        ) as product_category,
        {{ parse_decimal('amount', typed) }} as amount,
        {{ parse_decimal('cost', typed) }} as cost,
        {{ clean_key('promotion_id') }} as promotion_id,
        {{ alias_key('status') }} as status_key,
        {{ parse_timestamp('updated_at', typed) }} as updated_at
    from source
),

normalised as (
    select
        parsed.*,
        status_aliases.code as status
    from parsed
    left join status_aliases
        on parsed.status_key = status_aliases.alias
),

checked as (
    select
        *,
        {{ first_failed_check(checks, 1) }} as row_reject_reason,
        {{ first_failed_check(checks, 2) }} as row_reject_column
    from normalised
),

encoded as (
    select
        {{ raw_residual_columns(canonical) }}
        _source_row,
        order_id,
        customer_id,
        order_date,
        product_category,
        amount,
        cost,
        promotion_id,
        status,
        updated_at,
        row_reject_reason,
        row_reject_column,
        _row_fingerprint,
        _loaded_at
    from checked
)
{%- endset -%}
{%- set load = raw_load_plan('orders', parse_sql, typed) -%}
{{ load.marker }}
with

{# Full load: every row; incremental: the rows after the last loaded one. #}
source as (
    select
        *,
        {{ load.fingerprint }} as _row_fingerprint,
        {{ run_started_at_timestamp() }} as _loaded_at
    from {{ source('crm', 'orders') }}
    {%- if load.appending %}
        where _source_row > {{ load.watermark }}
    {%- endif %}
),

{{ parse_sql }}

select * from encoded
