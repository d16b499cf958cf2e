{#- Boolean SQL: a differs from b, a null differing from a value and two nulls
    equal (`is distinct from`; Spark: `not (a <=> b)`). -#}
{% macro distinct_from(a, b) -%}
    {{ return(adapter.dispatch('distinct_from')(a, b)) }}
{%- endmacro %}

{% macro default__distinct_from(a, b) -%}
    {{ return(a ~ ' is distinct from ' ~ b) }}
{%- endmacro %}

{% macro spark__distinct_from(a, b) -%}
    {{ return('not (' ~ a ~ ' <=> ' ~ b ~ ')') }}
{%- endmacro %}
