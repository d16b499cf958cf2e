{#- Post-hook of every model and seed: PostgreSQL plans joins from table statistics,
    and a freshly written table has none until autovacuum comes by (a 400-customer
    build took minutes in nested loops), so tables are analysed when written. -#}
{% macro refresh_statistics() -%}
    {{ return(adapter.dispatch('refresh_statistics')()) }}
{%- endmacro %}

{% macro default__refresh_statistics() -%}{%- endmacro %}

{% macro postgres__refresh_statistics() -%}
    {%- if model.config.materialized in ['table', 'incremental', 'seed'] -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
