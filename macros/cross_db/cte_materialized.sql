{#- `as materialized (` for a CTE read several times that is expensive to compute
    (parsing): DuckDB and PostgreSQL compute it once; Spark has no such hint. -#}
{% macro cte_materialized() -%}
    {{ return(adapter.dispatch('cte_materialized')()) }}
{%- endmacro %}

{% macro default__cte_materialized() -%}{%- endmacro %}

{% macro duckdb__cte_materialized() -%}materialized{%- endmacro %}

{% macro postgres__cte_materialized() -%}materialized{%- endmacro %}
