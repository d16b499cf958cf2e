{#- Every dated input event of a customer, by the tag source it feeds: one row
    per (customer_id, event_source, event_date) from the clean staging rows: orders by
    order_date, service interactions by occurred_date, the customer record by the
    date of updated_at. customer_tag_changes asks whether a customer had any
    event between a change's two builds (cause data) or none (cause time: only
    the passing of days moved the customer). All dates, not only up to
    as_of_date: back-dated builds read the same raw files. -#}

with

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

interactions as (
    select * from {{ ref('stg_crm__service_interactions') }}
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

events as (
    select distinct
        customer_id,
        'orders' as event_source,
        order_date as event_date
    from orders
    union all
    select distinct
        customer_id,
        'service_interactions' as event_source,
        occurred_date as event_date
    from interactions
    union all
    select distinct
        customer_id,
        'customers' as event_source,
        cast(updated_at as date) as event_date
    from customers
    where updated_at is not null
)

select * from events
