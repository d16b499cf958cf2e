{#- The build date as SQL: cast('<var as_of_date>' as date). Every model and test
    that needs the date calls this instead of writing the cast itself; the var is
    checked (YYYY-MM-DD, a calendar date) by validate_vars before any SQL runs.
    Unit tests pin the date with `overrides: vars: {as_of_date: ...}`: the macro
    runs in the calling node's context, so the override reaches it. -#}
{% macro as_of_date() -%}
    {{ return("cast('" ~ var('as_of_date') ~ "' as date)") }}
{%- endmacro %}
