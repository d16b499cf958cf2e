{#- The build's as_of_date, one row: what the CLV fits (dbt Python models, which
    cannot call var()) stamp their rows with. Read at run time, so the parsed
    project does not depend on the date (a model's meta would hold it from the
    parse). DuckDB only, as the Python models that read it. -#}
{{ config(materialized='table') }}

select {{ as_of_date() }} as as_of_date
