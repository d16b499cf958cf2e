{#- The table of CLV fits the client-side fit step writes on engines without dbt
    Python models (`python scripts/fit_clv.py engine --target <engine>`):
    clv_models_fitted in var raw_schema, beside the loaded raw tables (both come
    from outside dbt). None when it does not exist, with a warning naming the
    command (ltv and churn_risk are then unknown); a warning too when it holds
    another as_of_date than the build's. Not looked up on DuckDB (the fit is the
    Python model int_clv_models_fitted there) nor while parsing. -#}
{% macro clv_client_fits_relation() %}
    {%- if not execute or python_models_supported() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(
        database=target.database if target.type != 'spark' else none,
        schema=var('raw_schema'), identifier='clv_models_fitted') -%}
    {%- set command = "python scripts/fit_clv.py engine --target " ~ target.name
        ~ " --vars '{as_of_date: " ~ var('as_of_date') ~ "}'" -%}
    {%- if relation is none -%}
        {{ exceptions.warn(
            "No CLV fit on " ~ target.type ~ " (table " ~ var('raw_schema')
            ~ ".clv_models_fitted is missing): ltv and churn_risk are unknown. Run `"
            ~ command ~ "` after this build, then build the scorers again"
            ~ " (dbt build --select int_clv_parameters+).") }}
        {{ return(none) }}
    {%- endif -%}
    {%- set dates = run_query(
        "select distinct cast(as_of_date as date) from " ~ relation) -%}
    {%- set wanted = var('as_of_date') | string -%}
    {%- if dates.rows | map(attribute=0) | map('string') | list != [wanted] -%}
        {{ exceptions.warn(
            "The CLV fit in " ~ relation ~ " is not for as_of_date " ~ wanted
            ~ ": ltv and churn_risk are unknown. Run `" ~ command ~ "`, then build"
            ~ " the scorers again (dbt build --select int_clv_parameters+).") }}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}
