with

classified as (
    select * from {{ ref('base_crm__service_interactions') }}
),

rejected as (
    select
        _source_file,
        _source_row,
        reject_reason,
        reject_column,
        {{ raw_column_names('service_interactions') }}
    from classified
    where row_status = 'rejected'
)

select * from rejected
