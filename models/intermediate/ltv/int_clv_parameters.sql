{#- The fitted CLV parameters the SQL scoring reads, one row, one column per
    model parameter (null when that model is not fitted: failed, disabled, or no
    fit for this as_of_date). On DuckDB they come from int_clv_models_fitted (a
    Python model inside `dbt build`). PostgreSQL and Spark run no Python models:
    there the client-side fit `python scripts/clv.py fit --target <engine>`
    writes a table of the same shape, clv_models_fitted in var raw_schema (its
    rows with fit = scoring; the backtest's are int_clv_backtest_parameters');
    when it is missing, or holds another as_of_date, every parameter is null
    (ltv and churn_risk unknown) and the build logs a warning naming the
    command. -#}

{%- set client_rows = clv_client_fit_rows('scoring') -%}

with

fits as (
    {%- if python_models_supported() %}
        select * from {{ ref('int_clv_models_fitted') }}
    {%- elif client_rows is not none %}
        {{ client_rows }}
    {%- else %}
        {#- no client-side fit yet: no rows, every parameter null -#}
        select
            cast(null as {{ dbt.type_string() }}) as model,
            cast(null as {{ dbt.type_string() }}) as status,
            cast(null as {{ dbt.type_string() }}) as parameter,
            cast(null as {{ type_double() }}) as value
        from {{ ref('int_clv_purchases_grouped') }}
        where 1 = 0
    {%- endif %}
),

fitted as (
    select
        model,
        parameter,
        value
    from fits
    where status = 'fitted'
),

pivoted as (
    select {{ clv_parameter_pivot() }}
    from fitted
)

select * from pivoted
