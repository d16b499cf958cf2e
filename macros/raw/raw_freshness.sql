{#- loaded_at_query of a raw source (models/staging/crm/_crm__sources.yml): the
    newest timestamp of `column`, parsed as staging parses it, as the time the
    export was last fed. Values that do not parse are ignored, and so are values
    later than the check's own clock: a mistyped future date cannot make a stale
    export look fresh. Rendered by `dbt source freshness` with `this` = the
    source. -#}
{% macro raw_loaded_at_query(column) -%}
    {{ return(adapter.dispatch('raw_loaded_at_query')(column)) }}
{%- endmacro %}

{#- DuckDB: the parsed timestamp is wall-clock time in the session time zone
    (WAREHOUSE_TIMEZONE), so it is read back as an instant in that zone; dbt
    compares it with current_timestamp. -#}
{% macro duckdb__raw_loaded_at_query(column) -%}
    select max(loaded_at)
    from (
        select cast({{ parse_timestamp(column) }} as timestamptz) as loaded_at
        from {{ this }}
    )
    where loaded_at <= current_timestamp
{%- endmacro %}

{% macro default__raw_loaded_at_query(column) -%}
    select max(loaded_at)
    from (
        select {{ parse_timestamp(column) }} as loaded_at
        from {{ this }}
    ) as parsed
    where loaded_at <= {{ dbt.current_timestamp() }}
{%- endmacro %}
