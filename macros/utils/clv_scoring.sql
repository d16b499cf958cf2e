{#- Numerics of the CLV scoring in SQL (models/intermediate/ltv), portable to
    PostgreSQL and Spark: exp, ln and power only (no lgamma, expm1, log1p).
    PostgreSQL raises an error when exp underflows (below about e^-745), so
    every exp of a value that can be very negative goes through clv_exp, which
    gives 0 below e^-700 (1e-304: an absolute error nothing downstream sees). -#}

{#- exp(x), 0 when x < -700. -#}
{% macro clv_exp(x) -%}
    case when ({{ x }}) < -700 then 0.0 else exp({{ x }}) end
{%- endmacro %}

{#- 1 / (1 + exp(x)) without overflow: exp(-x) / (1 + exp(-x)) for x > 0. -#}
{% macro clv_inverse_one_plus_exp(x) -%}
    case
        when ({{ x }}) > 0
            then {{ clv_exp('-(' ~ x ~ ')') }} / (1.0 + {{ clv_exp('-(' ~ x ~ ')') }})
        else 1.0 / (1.0 + exp({{ x }}))
    end
{%- endmacro %}

{#- exp(x) - 1 to full relative precision near 0 (no expm1 on every engine):
    the Taylor polynomial to x^3 when |x| < 1e-5 (next term below 1e-21
    relative), exp(x) - 1 otherwise (error about 1e-16 / 1e-5 = 1e-11
    relative at worst). -#}
{% macro clv_expm1(x) -%}
    case
        when abs({{ x }}) < 1e-5
            then ({{ x }}) * (1.0 + ({{ x }}) / 2.0 * (1.0 + ({{ x }}) / 3.0))
        else {{ clv_exp(x) }} - 1.0
    end
{%- endmacro %}

{#- The CLV time units: days per model unit (var ltv_time_unit) and per year.
    The same as tag_warehouse.clv (DAYS_PER_UNIT, DAYS_PER_YEAR), which fits on
    DuckDB and in the client step: tests/test_clv_sql.py proves they agree. -#}
{% macro clv_time_units() %}
    {{ return({'days_per_year': 365.25, 'days_per_unit': {'week': 7, 'day': 1}}) }}
{% endmacro %}

{#- (model, parameter) of every column of int_clv_parameters, in order. -#}
{% macro clv_parameter_columns() %}
    {{ return([
        ('bgnbd', 'r'), ('bgnbd', 'alpha'), ('bgnbd', 'a'), ('bgnbd', 'b'),
        ('gamma_gamma', 'p'), ('gamma_gamma', 'q'), ('gamma_gamma', 'gamma'),
        ('mbgnbd', 'r'), ('mbgnbd', 'alpha'), ('mbgnbd', 'a'), ('mbgnbd', 'b'),
    ]) }}
{% endmacro %}

{#- The select list of int_clv_parameters: per (model, parameter) the value of
    that fitted parameter (max over no or one row), as <model>_<parameter>. -#}
{% macro clv_parameter_pivot() %}
    {%- set columns = [] -%}
    {%- for model, name in clv_parameter_columns() -%}
        {%- do columns.append(
            "max(case when model = '" ~ model ~ "' and parameter = '" ~ name
            ~ "' then value end) as " ~ model ~ "_" ~ name) -%}
    {%- endfor -%}
    {{ return(columns | join(",\n        ")) }}
{% endmacro %}

{#- The backtest's fixed settings (marts.clv_model_quality), as
    tag_warehouse.clv.quality has them (tests/test_clv_sql.py proves they agree):
    its time unit, the last bucket of the conditional expectation (repeat
    purchases >= repeat_cap, labelled "7+"), the bucket of the measures over
    every scored customer, and per model what it predicts and the var that
    turns it on. -#}
{% macro clv_backtest_settings() %}
    {{ return({
        'unit': 'week',
        'repeat_cap': 7,
        'all_bucket': 'all',
        'models': [
            {'model': 'bgnbd', 'predicts': 'purchase_days',
                'enabled_by': 'ltv_enabled'},
            {'model': 'gamma_gamma', 'predicts': 'spend_per_purchase_day',
                'enabled_by': 'ltv_enabled'},
            {'model': 'mbgnbd', 'predicts': 'purchase_days',
                'enabled_by': 'churn_risk_enabled'},
        ],
    }) }}
{% endmacro %}
