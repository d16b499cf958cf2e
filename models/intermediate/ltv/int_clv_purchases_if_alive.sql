{#- BG/NBD expected purchase days over the horizon IF the customer is alive, per
    distinct (x, T) of the CLV summary, in SQL on every engine (FHL 2005 eq. 10
    without its P(alive) factor, as tag_warehouse.clv.bgnbd evaluates it): the
    hypergeometric series of macro clv_alive_purchases_ctes (macros/utils/
    clv_series.sql says how it is summed and why its error bound holds), at most
    var clv_series_terms terms; the data test fails above var
    clv_series_max_error.

    With var ltv_annual_discount_rate > 0 the horizon is cut into monthly steps
    (the last one possibly partial) and each step's purchases are discounted
    by (1 + rate)^(-years at the step end), as tag_warehouse.clv.predict does.
    Empty when the BG/NBD is not fitted, and without reading anything when var
    ltv_enabled is false. -#}
{{ config(materialized='table') }}

{%- set double = type_double() -%}
{%- set units = clv_time_units() -%}
{%- set days_per_unit = units.days_per_unit[var('ltv_time_unit')] -%}
{%- set horizon_years = var('ltv_horizon_years') -%}
{%- set rate = var('ltv_annual_discount_rate') -%}
{%- set steps = ((horizon_years * 12 - 1e-9) | round(0, 'ceil') | int)
    if rate > 0 else 1 -%}
{%- set terms = var('clv_series_terms') -%}

{%- if var('ltv_enabled') %}

    with

    curve_parameters as (
        select
            'bgnbd' as model, -- noqa: RF04
            bgnbd_r as r,
            bgnbd_alpha as alpha,
            bgnbd_a as a,
            bgnbd_b as b
        from {{ ref('int_clv_parameters') }}
        where bgnbd_r is not null
    ),

    {# the distinct (x, T): the series depends on nothing else #}
    pairs as (
        select distinct
            frequency,
            customer_age
        from {{ ref('int_clv_purchases_grouped') }}
    ),

    steps_generated as (
        {{ dbt.generate_series(steps) }}
    ),

    {# the evaluation times t (in var ltv_time_unit) and their discount factors #}
    steps as (
        select
            cast(generated_number as {{ dbt.type_int() }}) as step,
            {%- if rate > 0 %}
            least(
                cast(generated_number as {{ double }}) / cast(12 as {{ double }}),
                cast({{ horizon_years }} as {{ double }})
            )
        {%- else %}
                cast({{ horizon_years }} as {{ double }})
            {%- endif %} as step_years
        from steps_generated
    ),

    steps_timed as (
        select
            step,
            step_years * cast({{ units.days_per_year }} as {{ double }})
            / cast({{ days_per_unit }} as {{ double }}) as step_t,
            power(
                1.0 + cast({{ rate }} as {{ double }}), -step_years
            ) as discount
        from steps
    ),

    {{ clv_alive_purchases_ctes(steps, terms) }},

    purchases_if_alive as (
        select
            frequency,
            customer_age,
            alive_purchases,
            discounted_alive_purchases,
            series_error_bound
        from per_pair
    )

    select * from purchases_if_alive

{%- else %}

{# var ltv_enabled false: nothing fitted, nothing read #}
select
    cast(null as {{ double }}) as frequency,
    cast(null as {{ double }}) as customer_age,
    cast(null as {{ double }}) as alive_purchases,
    cast(null as {{ double }}) as discounted_alive_purchases,
    cast(null as {{ double }}) as series_error_bound
where 1 = 0

{%- endif %}
