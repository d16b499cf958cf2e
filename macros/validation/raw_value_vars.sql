{#- The problems (a list of messages, empty when fine) of the vars that say how
    raw values are read: raw_decimal_separator, raw_min_year, raw_max_year and
    raw_keys_case_insensitive. Called by validate_vars, before any SQL. -#}
{% macro raw_value_var_problems() %}
    {%- set problems = [] -%}
    {%- set separator = var('raw_decimal_separator') -%}
    {%- if separator not in ['.', ','] -%}
        {%- do problems.append(
            "raw_decimal_separator must be '.' or ',' (the decimal separator of the"
            ~ " raw files' amounts), got '" ~ separator ~ "'") -%}
    {%- endif -%}
    {%- set years = [] -%}
    {%- for name in ['raw_min_year', 'raw_max_year'] -%}
        {%- set value = var(name) -%}
        {%- if value is not integer or value is sameas true or value is sameas false -%}
            {%- do problems.append(
                name ~ " must be a whole year, got '" ~ value ~ "'") -%}
        {%- elif value < 1000 or value > 9999 -%}
            {%- do problems.append(
                name ~ " must be a four-digit year (1000..9999), got " ~ value) -%}
        {%- else -%}
            {%- do years.append(value) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if years | length == 2 and years[0] > years[1] -%}
        {%- do problems.append(
            "raw_min_year (" ~ years[0] ~ ") must not be after raw_max_year ("
            ~ years[1] ~ ")") -%}
    {%- endif -%}
    {%- set folding = var('raw_keys_case_insensitive') -%}
    {%- if folding is not sameas true and folding is not sameas false -%}
        {%- do problems.append(
            "raw_keys_case_insensitive must be true or false, got '" ~ folding ~ "'") -%}
    {%- endif -%}
    {{ return(problems) }}
{% endmacro %}
