{#- Every raw promotion row, parsed and classified as clean, rejected (with reason
    and column) or superseded. Promotions carry no updated_at: of several rows with
    one promotion_id, the one written last in the file wins. -#}
{#- Typed Parquet columns are read as values, the others parsed from text
    (raw_typed_columns). -#}
{%- set typed = raw_typed_columns('promotions') -%}
{%- set checks = [
    ("_raw_line is not null", "bad_csv_line", "_raw_line"),
    ("promotion_id is null", "null_key", "promotion_id"),
    ("start_date is null", "bad_date", "start_date"),
    ("end_date is null", "bad_date", "end_date"),
    ("end_date < start_date", "bad_date_range", "end_date"),
    ("raw_discount_rate is not null and discount_rate is null", "bad_number",
        "discount_rate"),
    ("discount_rate < 0 or discount_rate > 1", "out_of_range", "discount_rate"),
] -%}

with

source as (
    select * from {{ source('crm', 'promotions') }}
),

parsed as (
    select
        _source_file,
        _source_row,
        _raw_line,
        {{ raw_text_columns('promotions') }}
        {{ clean_key('promotion_id') }} as promotion_id,
        {{ clean_text('promotion_name') }} as promotion_name,
        {{ alias_key('promotion_type') }} as promotion_type,
        {{ parse_date('start_date', typed) }} as start_date,
        {{ parse_date('end_date', typed) }} as end_date,
        {{ parse_decimal('discount_rate', typed) }} as discount_rate
    from source
),

{{ classify_rows('parsed', checks, 'promotion_id', '_source_row desc') }},

{# The raw text is kept where the rejects model shows it (docs/performance.md). #}
stored as (
    select
        _source_file,
        _source_row,
        {{ raw_text_of_rejected_rows('promotions') }}
        promotion_id,
        promotion_name,
        promotion_type,
        start_date,
        end_date,
        discount_rate,
        reject_reason,
        reject_column,
        row_status
    from classified
)

select * from stored
