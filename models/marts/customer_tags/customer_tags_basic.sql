{#- Basic-attribute tags, one row per clean customer. Source: customers. -#}
{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" -%}

with

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

tagged as (
    select
        customer_id,
        {{ as_of_date }} as as_of_date,
        customer_type,
        industry,
        case
            when customer_type = 'individual' then 'not_applicable'
            else {{ band_ladder('employee_count', [
                ('<', var('company_medium_min_employees'), 'small_micro'),
                ('<=', var('company_large_above_employees'), 'medium'),
            ], otherwise='large', when_null='unknown') }}
        end as company_size,
        region,
        employee_count
    from customers
)

select * from tagged
