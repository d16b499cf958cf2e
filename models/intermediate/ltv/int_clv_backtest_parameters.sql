{#- The backtest's CLV fits (marts.clv_model_quality), one row per model:
    status and reason, and its fitted parameters (null when not fitted, and for
    the parameters of the other models). On DuckDB from
    int_clv_calibration_models_fitted (a Python model inside `dbt build`); on
    PostgreSQL and Spark from the client-side fit table clv_models_fitted in var
    raw_schema (rows with fit = backtest of the build's as_of_date), which
    `python scripts/clv.py fit --target <engine>` writes. A model switched off
    by its var is disabled; a model without a fit row (no table, another
    as_of_date, or a table written before the backtest fit existed) is failed,
    with the command to run as the reason: never a broken build. -#}
{%- set settings = clv_backtest_settings() -%}
{%- set client_rows = none -%}
{%- if not python_models_supported() -%}
    {%- set client_rows = clv_client_fit_rows('backtest', warn=false) -%}
{%- endif -%}
{#- the command's quotes as double quotes: a text literal on every engine (Spark
    reads two single quotes as two literals) -#}
{%- set missing_reason = (
    "no backtest fit in " ~ var('raw_schema') ~ ".clv_models_fitted for as_of_date "
    ~ var('as_of_date') ~ " (scripts/clv.py fit writes it): run `"
    ~ clv_fit_command() ~ "`, then dbt build --select int_clv_backtest_parameters+"
) | replace("'", '"') -%}
{%- set parameter_names = [] -%}
{%- for model, name in clv_parameter_columns() -%}
    {%- if name not in parameter_names -%}
        {%- do parameter_names.append(name) -%}
    {%- endif -%}
{%- endfor -%}

with

fits as (
    {%- if python_models_supported() %}
        select
            model,
            status,
            reason,
            parameter,
            value
        from {{ ref('int_clv_calibration_models_fitted') }}
    {%- elif client_rows is not none %}
        {{ client_rows }}
    {%- else %}
        {#- no client-side fit yet: no rows, every model failed -#}
        select
            cast(null as {{ dbt.type_string() }}) as model,
            cast(null as {{ dbt.type_string() }}) as status,
            cast(null as {{ dbt.type_string() }}) as reason,
            cast(null as {{ dbt.type_string() }}) as parameter,
            cast(null as {{ type_double() }}) as value
        from {{ ref('int_clv_calibration_purchases_grouped') }}
        where 1 = 0
    {%- endif %}
),

{# one row per model of the fit table (a fitted one has a row per parameter) #}
statuses as (
    select
        model,
        max(status) as status,
        max(reason) as reason
    from fits
    group by model
),

parameters as (
    select
        model,
        {%- for name in parameter_names %}
            max(case when parameter = '{{ name }}' then value end) as {{ name }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from fits
    where status = 'fitted'
    group by model
),

{# every backtested model, with the var that turns it on #}
models as (
    {%- for entry in settings.models %}
        select
            '{{ entry.model }}' as model, -- noqa: RF04
            '{{ entry.predicts }}' as predicts,
            {%- if var(entry.enabled_by) %}
                cast(null as {{ dbt.type_string() }}) as disabled_reason
            {%- else %}
                'var {{ entry.enabled_by }} is false' as disabled_reason
            {%- endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

backtest_parameters as (
    select
        models.model,
        models.predicts,
        case
            when models.disabled_reason is not null then 'disabled'
            when statuses.status is null then 'failed'
            else statuses.status
        end as status,
        case
            when models.disabled_reason is not null then models.disabled_reason
            when statuses.status is null then '{{ missing_reason }}'
            else statuses.reason
        end as reason,
        {%- for name in parameter_names %}
            case
                when models.disabled_reason is null then parameters.{{ name }}
            end as {{ name }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from models
    left join statuses
        on models.model = statuses.model
    left join parameters
        on models.model = parameters.model
)

select * from backtest_parameters
