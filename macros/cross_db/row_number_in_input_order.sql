{#- Row number in the order the rows were read (a seed's or file's line order):
    `row_number() over ()` on DuckDB and PostgreSQL; Spark requires an ordered
    window, monotonically_increasing_id() follows the read order. -#}
{% macro row_number_in_input_order() -%}
    {{ return(adapter.dispatch('row_number_in_input_order')()) }}
{%- endmacro %}

{% macro default__row_number_in_input_order() -%}
    {{ return('row_number() over ()') }}
{%- endmacro %}

{% macro spark__row_number_in_input_order() -%}
    {{ return('row_number() over (order by monotonically_increasing_id())') }}
{%- endmacro %}
