{#- base_crm__customers is loaded incrementally and does not store the file name:
    its rows are those of the current customers file. -#}

with

classified as (
    select * from {{ ref('base_crm__customers') }}
),

rejected as (
    select
        {{ raw_file_literal('customers') }} as _source_file,
        _source_row,
        reject_reason,
        reject_column,
        phone_hash,
        email_hash,
        {{ raw_column_names('customers', exclude=['customer_name', 'phone', 'email']) }}
    from classified
    where row_status = 'rejected'
)

select * from rejected
