with

classified as (
    select * from {{ ref('base_crm__orders') }}
),

rejected as (
    select
        _source_file,
        _source_row,
        reject_reason,
        reject_column,
        {{ raw_column_names('orders') }}
    from classified
    where row_status = 'rejected'
)

select * from rejected
