{#- The backtest's expected purchase days in the holdout IF the customer is
    alive, per purchase model (bgnbd, mbgnbd) and distinct calibration (x, T):
    the series of int_clv_purchases_if_alive (macro clv_alive_purchases_ctes,
    its proven error bound and the same data test) with the backtest's fits
    (int_clv_backtest_parameters) over t = var clv_holdout_days in weeks, no
    discounting (tag_warehouse.clv.quality). MBG/NBD's is BG/NBD's with b + 1
    (the posterior of p is Beta(a, b+x+1): tag_warehouse.clv.mbgnbd). A model
    not fitted has no rows. -#}
{{ config(materialized='table') }}

{%- set double = type_double() -%}
{%- set days_per_unit =
    clv_time_units().days_per_unit[clv_backtest_settings().unit] -%}

with

backtest_parameters as (
    select * from {{ ref('int_clv_backtest_parameters') }}
),

{# MBG/NBD: b + 1 is the model's algebra, not a setting #}
curve_parameters as (
    select
        model,
        r,
        alpha,
        a,
        case when model = 'mbgnbd' then b + 1.0 else b end as b
    from backtest_parameters
    where
        status = 'fitted'
        and model in ('bgnbd', 'mbgnbd')
),

{# the distinct calibration (x, T): the series depends on nothing else #}
pairs as (
    select distinct
        frequency,
        customer_age
    from {{ ref('int_clv_calibration_purchases_grouped') }}
),

{# one step: the holdout, in the backtest's unit, undiscounted #}
steps_timed as (
    select
        1 as step,
        cast({{ var('clv_holdout_days') }} as {{ double }})
        / cast({{ days_per_unit }} as {{ double }}) as step_t,
        1.0 as discount
),

{{ clv_alive_purchases_ctes(1, var('clv_series_terms')) }},

holdout_purchases_if_alive as (
    select
        model,
        frequency,
        customer_age,
        alive_purchases,
        series_error_bound
    from per_pair
)

select * from holdout_purchases_if_alive
