{#- `as not materialized (` for an import CTE of a large relation read several
    times: DuckDB (2.0) otherwise computes such a CTE once and holds all its rows
    and columns in memory (every column of 10 million parsed orders to use three),
    where reading the table again costs only the columns each reader needs.
    PostgreSQL takes the same hint; Spark has none (its optimiser decides). -#}
{% macro cte_not_materialized() -%}
    {{ return(adapter.dispatch('cte_not_materialized')()) }}
{%- endmacro %}

{% macro default__cte_not_materialized() -%}{%- endmacro %}

{% macro duckdb__cte_not_materialized() -%}not materialized{%- endmacro %}

{% macro postgres__cte_not_materialized() -%}not materialized{%- endmacro %}
