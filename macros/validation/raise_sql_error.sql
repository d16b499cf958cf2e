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
