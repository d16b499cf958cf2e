{#- P(alive) at as_of_date under the MBG/NBD (spec 3.2), one row per clean
    customer: 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)) on the CLV
    summary, in SQL on every engine (closed form, through the log-odds so that
    nothing overflows). Null for a customer without a valid order, and for
    everyone when the MBG/NBD is not fitted (failed, disabled by var
    churn_risk_enabled false, or no client-side fit: int_clv_parameters says
    why); churn_risk is then unknown. With var churn_risk_enabled false the
    summary is not read. -#}

with

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

{%- if var('churn_risk_enabled') %}

    parameters as (
        select
            mbgnbd_r as r,
            mbgnbd_alpha as alpha,
            mbgnbd_a as a,
            mbgnbd_b as b
        from {{ ref('int_clv_parameters') }}
        where mbgnbd_r is not null
    ),

    summarised as (
        select * from {{ ref('int_customers_clv_summarised') }}
    ),

    {# ln(P(dead) / P(alive)) #}
    log_odds as (
        select
            summarised.customer_id,
            ln(parameters.a) - ln(parameters.b + summarised.frequency)
            + (parameters.r + summarised.frequency)
            * (
                ln(parameters.alpha + summarised.customer_age)
                - ln(parameters.alpha + summarised.recency)
            ) as log_odds
        from summarised
        cross join parameters
    ),

    alive as (
        select
            customer_id,
            {{ clv_inverse_one_plus_exp('log_odds') }} as p_alive
        from log_odds
    ),

    predicted as (
        select
            customers.customer_id,
            cast(alive.p_alive as {{ type_double() }}) as p_alive
        from customers
        left join alive
            on customers.customer_id = alive.customer_id
    )

{%- else %}

{# var churn_risk_enabled false: nothing is fitted, nothing is read; the fit table stays
   upstream (it says why) #}
-- depends_on: {{ ref('int_clv_parameters') }}
predicted as (
    select
        customer_id,
        cast(null as {{ type_double() }}) as p_alive
    from customers
)

{%- endif %}

select * from predicted
