{#- Predicted lifetime value over the next ltv_horizon_years, one row per clean
    customer, in SQL on every engine: expected purchase days (BG/NBD: the
    purchases if alive of int_clv_purchases_if_alive x P(alive)) x expected
    spend per purchase day (Gamma-Gamma conditional mean from each customer's
    own mean spend: (gamma + m x) p / (p x + q - 1), the population mean
    p gamma / (q - 1) when x = 0 or m <= 0), discounted when var
    ltv_annual_discount_rate > 0. Customers with no valid order get 0 (the
    models describe customers after a first purchase). When a model the LTV
    needs is not fitted (failed, disabled by var ltv_enabled false, or no
    client-side fit: int_clv_parameters) every prediction is null (ltv =
    unknown). With var ltv_enabled false the summary is not read. -#}

{%- set double = type_double() %}

with

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

{%- if var('ltv_enabled') %}

    parameters as (
        select
            bgnbd_r as r,
            bgnbd_alpha as alpha,
            bgnbd_a as a,
            bgnbd_b as b,
            gamma_gamma_p as p,
            gamma_gamma_q as q,
            gamma_gamma_gamma as gamma
        from {{ ref('int_clv_parameters') }}
        where bgnbd_r is not null and gamma_gamma_p is not null
    ),

    {# one row when both models are fitted, none otherwise #}
    fitted as (
        select 1 as is_fitted from parameters
    ),

    summarised as (
        select * from {{ ref('int_customers_clv_summarised') }}
    ),

    purchases_if_alive as (
        select * from {{ ref('int_clv_purchases_if_alive') }}
    ),

    {# BG/NBD ln(P(dead) / P(alive)); a customer without repeat purchase is alive #}
    log_odds as (
        select
            summarised.customer_id,
            summarised.frequency,
            summarised.customer_age,
            summarised.monetary_value,
            case
                when summarised.frequency > 0
                    then
                        ln(parameters.a) - ln(parameters.b + summarised.frequency - 1.0)
                        + (parameters.r + summarised.frequency)
                        * (
                            ln(parameters.alpha + summarised.customer_age)
                            - ln(parameters.alpha + summarised.recency)
                        )
            end as log_odds,
            {#- the spend model sees x = 0 when the mean spend is not positive -#}
            
            case
                when summarised.monetary_value > 0 then summarised.frequency else 0.0
            end as spend_frequency,
            parameters.p,
            parameters.q,
            parameters.gamma
        from summarised
        cross join parameters
    ),

    scored as (
        select
            log_odds.customer_id,
            purchases_if_alive.alive_purchases,
            purchases_if_alive.discounted_alive_purchases,
            case
                when log_odds.log_odds is null then 1.0
                else {{ clv_inverse_one_plus_exp('log_odds.log_odds') }}
            end as prob_alive,
            (
                log_odds.gamma
                + case
                    when log_odds.spend_frequency > 0 then log_odds.monetary_value
                    else 0.0
                end
                * log_odds.spend_frequency
            )
            * log_odds.p
            / (log_odds.p * log_odds.spend_frequency + log_odds.q - 1.0)
                as expected_spend_per_purchase
        from log_odds
        inner join purchases_if_alive
            on
                log_odds.frequency = purchases_if_alive.frequency
                and log_odds.customer_age = purchases_if_alive.customer_age
    ),

    predicted as (
        select
            customers.customer_id,
            {#- 0 for a customer without a valid order, null when not fitted -#}
            
            case
                when fitted.is_fitted = 1
                    then coalesce(scored.alive_purchases * scored.prob_alive, 0.0)
            end as expected_purchases,
            case
                when fitted.is_fitted = 1
                    then coalesce(scored.expected_spend_per_purchase, 0.0)
            end as expected_spend_per_purchase,
            case
                when fitted.is_fitted = 1
                    then coalesce(
                        scored.discounted_alive_purchases
                        * scored.prob_alive
                        * scored.expected_spend_per_purchase,
                        0.0
                    )
            end as predicted_ltv,
            case
                when fitted.is_fitted = 1 then coalesce(scored.prob_alive, 0.0)
            end as prob_alive
        from customers
        left join fitted
            on 1 = 1
        left join scored
            on customers.customer_id = scored.customer_id
    ),

{%- else %}

{# var ltv_enabled false: nothing is fitted, nothing is read; the fit table stays
   upstream (it says why) #}
-- depends_on: {{ ref('int_clv_parameters') }}
predicted as (
    select
        customer_id,
        cast(null as {{ double }}) as expected_purchases,
        cast(null as {{ double }}) as expected_spend_per_purchase,
        cast(null as {{ double }}) as predicted_ltv,
        cast(null as {{ double }}) as prob_alive
    from customers
),

{%- endif %}

typed as (
    select
        customer_id,
        cast(expected_purchases as {{ double }}) as expected_purchases,
        cast(expected_spend_per_purchase as {{ double }})
            as expected_spend_per_purchase,
        cast(predicted_ltv as {{ double }}) as predicted_ltv,
        cast(prob_alive as {{ double }}) as prob_alive
    from predicted
)

select * from typed
