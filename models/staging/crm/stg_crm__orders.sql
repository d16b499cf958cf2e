with

classified as (
    select * from {{ ref('base_crm__orders') }}
),

clean as (
    select
        order_id,
        customer_id,
        order_date,
        product_category,
        amount,
        cost,
        promotion_id,
        status,
        {{ is_completed_order('status') }} as is_completed,
        updated_at,
        has_several_versions
    from classified
    where row_status = 'clean'
)

select * from clean
