{#- Incremental models built from base_crm__orders_parsed (DuckDB) keep, in every
    row they write, the parsed row count they were built from (_loaded_through_row)
    and when the parsed table was last parsed in full (_parsed_at: the first
    _loaded_at of its rows). The next run reads them back: with the same
    _parsed_at, the parsed rows after the watermark are new ({'appending': true,
    'watermark': n, 'marker': ''}); with another one (the parsed table was parsed
    again in full, by itself or by --full-refresh), the model is rebuilt in full
    too ('marker': full_reload_marker()), so it never keeps rows of the replaced
    parse nor counts a row twice. -#}
{% macro orders_load_plan() -%}
    {%- set plan = {'appending': false, 'watermark': 0, 'marker': ''} -%}
    {%- if not (is_incremental() and execute) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name')
        | list -%}
    {%- set reason = 'it was built by an older version of the model' -%}
    {%- if '_parsed_at' in columns -%}
        {%- set state = run_query(
            "select coalesce(max(_loaded_through_row), 0), max(_parsed_at) = ("
            ~ orders_parsed_at() ~ ") from " ~ this
        ).rows[0] -%}
        {%- if state[1] == true -%}
            {%- do plan.update({'appending': true, 'watermark': state[0] | int}) -%}
            {{ return(plan) }}
        {%- endif -%}
        {%- set reason = 'base_crm__orders_parsed was parsed again in full since its'
            ~ ' last run (or it holds no rows)' -%}
    {%- endif -%}
    {%- do plan.update({'marker': full_reload_marker(
        this.identifier ~ ': ' ~ reason ~ ': building it again in full'
    )}) -%}
    {{ return(plan) }}
{%- endmacro %}

{#- When base_crm__orders_parsed was last parsed in full: its first _loaded_at. -#}
{% macro orders_parsed_at() -%}
    select min(_loaded_at) from {{ ref('base_crm__orders_parsed') }}
{%- endmacro %}

{#- A completed order is a purchase: the one definition of a valid order's status
    (stg_crm__orders.is_completed and the incremental order-day aggregate). -#}
{% macro is_completed_order(status) -%}
    {{ status }} = 'completed'
{%- endmacro %}

{#- The columns of base_crm__orders_parsed, in order: the parse model writes them,
    base_crm__order_versions copies them for the orders with several versions, and
    base_crm__orders unions the two. The parsed order columns are those of the raw
    contract, in its order (raw_contract()['orders'], as the parse model lists them). -#}
{% macro orders_parsed_columns() -%}
    {%- set columns = [] -%}
    {%- for column in orders_canonical_text() -%}
        {%- do columns.append('raw_' ~ column ~ '_if_different') -%}
    {%- endfor -%}
    {%- do columns.append('_source_row') -%}
    {%- do columns.extend(raw_contract()['orders']) -%}
    {%- do columns.extend(['row_reject_reason', 'row_reject_column']) -%}
    {{ return(columns) }}
{%- endmacro %}

{#- "alias.column_1, alias.column_2, ..." for a select list. -#}
{% macro qualified_columns(columns, alias) -%}
    {%- for column in columns %}{{ alias }}.{{ column }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}
