{#- int_completed_orders_unioned rebuilds the completed orders from the parsed
    table without classifying the single-version ones again: restricted to the
    clean customers it must hold exactly the completed orders of stg_crm__orders.
    Returns the orders found on one side only. -#}
{%- set columns = [
    'order_id', 'customer_id', 'order_date', 'product_category', 'promotion_id',
    'amount', 'cost',
] -%}

with

unioned as (
    select * from {{ ref('int_completed_orders_unioned') }}
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

rebuilt as (
    select {{ qualified_columns(columns, 'unioned') }}
    from unioned
    inner join customers
        on unioned.customer_id = customers.customer_id
),

staged as (
    select {{ columns | join(', ') }}
    from orders
    where is_completed
),

only_rebuilt as (
    select * from rebuilt
    except
    select * from staged
),

only_staged as (
    select * from staged
    except
    select * from rebuilt
),

differences as (
    select
        'only in int_completed_orders_unioned' as found,
        {{ qualified_columns(columns, 'only_rebuilt') }}
    from only_rebuilt
    union all
    select
        'only in stg_crm__orders' as found,
        {{ qualified_columns(columns, 'only_staged') }}
    from only_staged
)

select * from differences
