with

classified as (
    select * from {{ ref('base_crm__customers') }}
),

clean as (
    select
        customer_id,
        customer_type,
        industry,
        employee_count,
        province,
        region,
        city,
        phone_hash,
        email_hash,
        decision_role,
        created_at,
        updated_at
    from classified
    where row_status = 'clean'
)

select * from clean
