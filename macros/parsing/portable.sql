{#- Building blocks of the parsers on engines other than DuckDB (PostgreSQL, Spark):
    the raw text is first matched against the forms of the raw input contract, then
    rewritten to ISO text and cast by the engine. Patterns use [0-9] and [.], never
    a backslash, so they mean the same in PostgreSQL and Java regular expressions
    and in both engines' string literals. -#}

{#- ISO date or timestamp: 2026-3-5, 2026-03-05 10:00[:00[.123]], T or space, an
    optional zone Z, +08, +0800 or +08:00. -#}
{% macro iso_timestamp_pattern() -%}
    ^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}([.][0-9]+)?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2}){0,2})?$
{%- endmacro %}

{#- The text as an ISO date/timestamp when it has one of the contract's forms
    (ISO; 2026/3/5 [10:00[:00]]; 20260305; with dotted_date also 2026.3.5, a date
    only, as on DuckDB), else null. -#}
{% macro iso_timestamp_text(text, dotted_date=false) -%}
    case
        when {{ regex_matches(text, iso_timestamp_pattern()) }} then {{ text }}
        when {{ regex_matches(
            text,
            '^[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}( [0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?)?$'
        ) }} then replace({{ text }}, '/', '-')
        when {{ regex_matches(text, '^[0-9]{8}$') }}
            then {{ dbt.concat([
                'substr(' ~ text ~ ', 1, 4)', "'-'",
                'substr(' ~ text ~ ', 5, 2)', "'-'",
                'substr(' ~ text ~ ', 7, 2)',
            ]) }}
        {%- if dotted_date %}
        when {{ regex_matches(text, '^[0-9]{4}[.][0-9]{1,2}[.][0-9]{1,2}$') }}
            then replace({{ text }}, '.', '-')
        {%- endif %}
    end
{%- endmacro %}

{#- A timestamp (in the session time zone) from ISO text; null when it is not a
    real calendar date and time of day (2024-02-30, 25:61). -#}
{% macro timestamp_from_iso(iso_text) -%}
    {{ return(adapter.dispatch('timestamp_from_iso')(iso_text)) }}
{%- endmacro %}

{#- Spark's cast returns null on an impossible date or time. -#}
{% macro default__timestamp_from_iso(iso_text) -%}
    try_cast({{ iso_text }} as timestamp)
{%- endmacro %}

{#- PostgreSQL's cast raises on an impossible date, so the parts are checked first
    (pure arithmetic: nothing here can raise). -#}
{% macro postgres__timestamp_from_iso(iso_text) -%}
    {%- set head = '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}' -%}
    {%- set year = "cast(substring(" ~ iso_text ~ " from '^([0-9]{4})') as integer)" -%}
    {%- set month = "cast(substring(" ~ iso_text
        ~ " from '^[0-9]{4}-([0-9]{1,2})') as integer)" -%}
    {%- set day = "cast(substring(" ~ iso_text
        ~ " from '^[0-9]{4}-[0-9]{1,2}-([0-9]{1,2})') as integer)" -%}
    {%- set hour = "cast(substring(" ~ iso_text ~ " from '" ~ head
        ~ "[T ]([0-9]{1,2})') as integer)" -%}
    {%- set minute = "cast(substring(" ~ iso_text ~ " from '" ~ head
        ~ "[T ][0-9]{1,2}:([0-9]{1,2})') as integer)" -%}
    {%- set second = "cast(substring(" ~ iso_text ~ " from '" ~ head
        ~ "[T ][0-9]{1,2}:[0-9]{1,2}:([0-9]{1,2})') as integer)" -%}
    case
        when
            {{ year }} >= 1
            and {{ month }} between 1 and 12
            and {{ day }} between 1 and case
                when {{ month }} = 2 and ({{ year }} % 4 = 0 and {{ year }} % 100 != 0
                    or {{ year }} % 400 = 0) then 29
                when {{ month }} = 2 then 28
                when {{ month }} in (4, 6, 9, 11) then 30
                else 31
            end
            and coalesce({{ hour }}, 0) <= 23
            and coalesce({{ minute }}, 0) <= 59
            and coalesce({{ second }}, 0) <= 59
            then cast(cast({{ iso_text }} as timestamptz) as timestamp)
    end
{%- endmacro %}

{#- decimal(18, 4) from text like 12, -12.5, .5, 1e3 (rounded half away from zero,
    as DuckDB); null for anything else or beyond the type's range. -#}
{% macro decimal_from_text(text) -%}
    {{ return(adapter.dispatch('decimal_from_text')(text)) }}
{%- endmacro %}

{% macro decimal_pattern() -%}
    ^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]{1,3})?$
{%- endmacro %}

{% macro default__decimal_from_text(text) -%}
    case
        when {{ regex_matches(text, decimal_pattern()) }}
            then try_cast({{ text }} as decimal(18, 4))
    end
{%- endmacro %}

{% macro postgres__decimal_from_text(text) -%}
    case
        when {{ regex_matches(text, decimal_pattern()) }}
            then case
                when abs(round(cast({{ text }} as numeric), 4)) < 100000000000000
                    then cast({{ text }} as decimal(18, 4))
            end
    end
{%- endmacro %}

{#- True when the whole text matches the pattern (anchor it with ^ and $). -#}
{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(text, pattern) -%}
    regexp_matches({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_matches(text, pattern) -%}
    ({{ text }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_matches(text, pattern) -%}
    ({{ text }} rlike '{{ pattern }}')
{%- endmacro %}

{#- Every match of the pattern replaced. -#}
{% macro regex_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#- `as materialized (` for a CTE read several times that is expensive to compute
    (parsing): DuckDB and PostgreSQL compute it once; Spark has no such hint. -#}
{% macro cte_materialized() -%}
    {{ return(adapter.dispatch('cte_materialized')()) }}
{%- endmacro %}

{% macro default__cte_materialized() -%}{%- endmacro %}

{% macro duckdb__cte_materialized() -%}materialized{%- endmacro %}

{% macro postgres__cte_materialized() -%}materialized{%- endmacro %}

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

{#- An expression that stops the query with the message (a text expression) when
    it is evaluated; its type fits a boolean CASE branch. -#}
{% macro raise_sql_error(message) -%}
    {{ return(adapter.dispatch('raise_sql_error')(message)) }}
{%- endmacro %}

{% macro default__raise_sql_error(message) -%}
    error({{ message }})
{%- endmacro %}

{% macro spark__raise_sql_error(message) -%}
    cast(raise_error({{ message }}) as boolean)
{%- endmacro %}

{#- PostgreSQL has no error function in SQL: casting the message to an integer
    fails with `invalid input syntax for type integer: "<message>"`. -#}
{% macro postgres__raise_sql_error(message) -%}
    cast(cast({{ message }} as integer) as boolean)
{%- endmacro %}

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
