{#- A CASE that maps a metric to a band code, first matching rung wins.
    rungs: list of (operator, threshold, code), e.g. ('<=', 30, 'within_30d');
    otherwise: code when no rung matches; when_null: code when the metric is null.
    Codes that are strings are quoted, numbers (scores) are not. Thresholds come
    from var()s read in the calling model, so unit-test overrides reach them. -#}
{% macro band_ladder(metric, rungs, otherwise, when_null=none) -%}
    case
        {%- if when_null is not none %}
        when {{ metric }} is null then {{ band_code(when_null) }}
        {%- endif %}
        {%- for operator, threshold, code in rungs %}
        when {{ metric }} {{ operator }} {{ threshold }} then {{ band_code(code) }}
        {%- endfor %}
        else {{ band_code(otherwise) }}
    end
{%- endmacro %}

{% macro band_code(code) -%}
    {%- if code is string -%}'{{ code }}'{%- else -%}{{ code }}{%- endif -%}
{%- endmacro %}
