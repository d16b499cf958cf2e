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
