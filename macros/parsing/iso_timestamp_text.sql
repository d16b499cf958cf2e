{#- Building blocks of the parsers on engines other than DuckDB (PostgreSQL, Spark):
    the raw text is first matched against the forms of the raw input contract, then
    rewritten to ISO text and cast by the engine (macros/cross_db/). Patterns use
    [0-9] and [.], never a backslash, so they mean the same in PostgreSQL and Java
    regular expressions and in both engines' string literals. -#}

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
