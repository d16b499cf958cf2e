{#- The versions of every order that has several row-valid rows in the orders file
    (about 1 % of the orders), ranked newest first: one row per such row, with all
    the columns of base_crm__orders_parsed (so that reading only these orders does
    not scan the parsed table). An order absent here has exactly one row-valid row
    (or none). Like
    base_crm__orders_parsed it does not depend on as_of_date or on the customers;
    base_crm__orders picks the newest VALID version from these ranks at every build.

    Incremental runs (DuckDB) re-rank only the orders touched by the rows appended
    to base_crm__orders_parsed since the last run (delete+insert on order_id: an
    order only ever gains versions). The parsed row count this model was built
    from is kept in _loaded_through_row, the watermark of the next run; when the
    parsed table was parsed again in full since, this model is rebuilt in full
    (orders_load_plan). -#}
{#- Apart from base_crm__orders_parsed: ranking inside the parse model meant
    holding all 10 million parsed rows in memory once more (about 20 CPU s at 10
    million orders); here a hash aggregate reads four narrow columns of the stored
    table (docs/performance.md). -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    unique_key='order_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
{%- set load = orders_load_plan() %}
{{ load.marker }}

with

{# read three times below, each time for a few columns #}
parsed as {{ cte_not_materialized() }} (
    select * from {{ ref('base_crm__orders_parsed') }}
),

{%- if load.appending %}

touched_orders as (
    select distinct order_id
    from parsed
    where
        _source_row > {{ load.watermark }}
        and row_reject_reason is null
),

{%- endif %}

{# A hash aggregate over the order ids alone finds the orders with several
   row-valid rows; only their rows are read in full and ranked. #}
multi_version_orders as (
    select parsed.order_id
    from parsed
    {%- if load.appending %}
        inner join touched_orders
            on parsed.order_id = touched_orders.order_id
    {%- endif %}
    where parsed.row_reject_reason is null
    group by parsed.order_id
    having count(*) > 1
),

loaded as (
    select
        max(_source_row) as loaded_through_row,
        min(_loaded_at) as parsed_at
    from parsed
),

ranked as (
    select
        {{ qualified_columns(orders_parsed_columns(), 'parsed') }},
        row_number() over (
            partition by parsed.order_id
            order by parsed.updated_at desc, parsed._source_row desc
        ) as version_rank,
        count(*) over (partition by parsed.order_id) as version_count,
        (select loaded.loaded_through_row from loaded) as _loaded_through_row,
        (select loaded.parsed_at from loaded) as _parsed_at
    from parsed
    inner join multi_version_orders
        on parsed.order_id = multi_version_orders.order_id
    where parsed.row_reject_reason is null
)

select * from ranked
