with

classified as (
    select * from {{ ref('base_crm__promotions') }}
),

clean as (
    select
        promotion_id,
        promotion_name,
        promotion_type,
        start_date,
        end_date,
        discount_rate
    from classified
    where row_status = 'clean'
)

select * from clean
