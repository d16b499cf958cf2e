{#- Incremental models built from base_crm__orders_parsed keep, in every row they
    write, the parsed row count they were built from (_loaded_through_row). The
    next run reads it back as its watermark: rows of the parsed table after it are
    new. Stops the run when the parsed table holds fewer rows than that (it was
    rebuilt alone, e.g. by --full-refresh on one model). -#}
{% macro orders_loaded_watermark() -%}
    {%- if not (is_incremental() and execute) -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set watermark = run_query(
        "select coalesce(max(_loaded_through_row), 0) from " ~ this
    ).columns[0].values()[0] | int -%}
    {%- set parsed_rows = run_query(
        "select coalesce(max(_source_row), 0) from " ~ ref('base_crm__orders_parsed')
    ).columns[0].values()[0] | int -%}
    {%- if parsed_rows < watermark -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ " was built from " ~ watermark ~ " parsed orders rows,"
            ~ " base_crm__orders_parsed now holds " ~ parsed_rows ~ ": it was rebuilt"
            ~ " alone. Rebuild everything after it with: dbt build --full-refresh"
            ~ " --select base_crm__orders_parsed+"
        ) }}
    {%- endif -%}
    {{ return(watermark) }}
{%- endmacro %}

{#- A completed order is a purchase: the one definition of a valid order's status
    (stg_crm__orders.is_completed and the incremental order-day aggregate). -#}
{% macro is_completed_order(status) -%}
    {{ status }} = 'completed'
{%- endmacro %}

{#- The columns of base_crm__orders_parsed, in order: the parse model writes them,
    base_crm__order_versions copies them for the orders with several versions, and
    base_crm__orders unions the two. -#}
{% macro orders_parsed_columns() -%}
    {%- set columns = [] -%}
    {%- for column in orders_canonical_text() -%}
        {%- do columns.append('raw_' ~ column ~ '_if_different') -%}
    {%- endfor -%}
    {%- do columns.extend([
        '_source_row', 'order_id', 'customer_id', 'order_date', 'product_category',
        'amount', 'cost', 'promotion_id', 'status', 'updated_at', 'row_reject_reason',
        'row_reject_column',
    ]) -%}
    {{ return(columns) }}
{%- endmacro %}

{#- "alias.column_1, alias.column_2, ..." for a select list. -#}
{% macro qualified_columns(columns, alias) -%}
    {%- for column in columns %}{{ alias }}.{{ column }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}
