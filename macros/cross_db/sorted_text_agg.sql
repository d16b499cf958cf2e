{#- The values of a group as one text, sorted and joined by the delimiter (a SQL
    text literal), only the rows meeting the condition when one is given; null
    when none. DuckDB and PostgreSQL: string_agg(... order by ...) filter (...);
    Spark (no ordered string_agg): the sorted collect_list joined. -#}
{% macro sorted_text_agg(value, delimiter, condition=none) -%}
    {{ return(adapter.dispatch('sorted_text_agg')(value, delimiter, condition)) }}
{%- endmacro %}

{% macro default__sorted_text_agg(value, delimiter, condition) -%}
    {%- set sql = 'string_agg(cast(' ~ value ~ ' as ' ~ dbt.type_string() ~ '), '
        ~ delimiter ~ ' order by ' ~ value ~ ')' -%}
    {%- if condition -%}
        {%- set sql = sql ~ ' filter (where ' ~ condition ~ ')' -%}
    {%- endif -%}
    {{ return(sql) }}
{%- endmacro %}

{% macro spark__sorted_text_agg(value, delimiter, condition) -%}
    {%- set kept = value if not condition
        else 'case when ' ~ condition ~ ' then ' ~ value ~ ' end' -%}
    {{ return(
        'nullif(array_join(transform(array_sort(collect_list(' ~ kept
        ~ ')), item -> cast(item as string)), ' ~ delimiter ~ "), '')"
    ) }}
{%- endmacro %}
