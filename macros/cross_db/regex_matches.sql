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
