with

classified as (
    select * from {{ ref('base_crm__service_interactions') }}
),

clean as (
    select
        interaction_id,
        customer_id,
        occurred_at,
        cast(occurred_at as date) as occurred_date,
        channel,
        interaction_type,
        satisfaction
    from classified
    where row_status = 'clean'
)

select * from clean
