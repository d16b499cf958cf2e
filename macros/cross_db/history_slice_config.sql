{#- The config of a history model (models/history/): incremental, one slice per
    as_of_date, and rebuilding a date replaces that date's slice. DuckDB and
    PostgreSQL: delete+insert on as_of_date. Spark (Parquet tables, no MERGE or
    DELETE): insert_overwrite of the as_of_date partition (dbt-spark overwrites
    only the partitions the build writes). The history models and the
    per-build operations tables (health, fingerprints, backtests, audience
    sizes) use it; each sets its own on_schema_change. -#}
{% macro history_slice_config() -%}
    {{ return(adapter.dispatch('history_slice_config')()) }}
{%- endmacro %}

{% macro default__history_slice_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'as_of_date',
    }) }}
{%- endmacro %}

{% macro spark__history_slice_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['as_of_date'],
        'file_format': 'parquet',
    }) }}
{%- endmacro %}
