{#- Spec section 6's holdout rule on any engine: true when
    int(first 8 hex digits of md5_column, 16) < share * 2^32. md5_column holds a
    lower-case hex md5 (dbt.hash of audience || ':' || customer_id); the first 8
    digits are read as a number digit by digit (position in '0123456789abcdef'),
    in bigint arithmetic, since no cast from hex text is portable. -#}
{% macro audience_holdout(md5_column, share) -%}
    {%- set digits = [] -%}
    {%- for index in range(8) -%}
        {%- do digits.append(
            "cast(" ~ dbt.position(
                "substr(" ~ md5_column ~ ", " ~ (index + 1) ~ ", 1)",
                "'0123456789abcdef'",
            ) ~ " - 1 as " ~ dbt.type_bigint() ~ ") * " ~ (16 ** (7 - index))
        ) -%}
    {%- endfor -%}
    ({{ digits | join(' + ') }}) < {{ share }} * {{ 2 ** 32 }}
{%- endmacro %}
