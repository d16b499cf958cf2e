{#- The backtest's predictions and outcomes, one row per clean customer with a
    valid order up to the calibration end (the customers the purchase models
    are scored on, tag_warehouse.clv.quality): the calibration summary, what
    the customer did in the holdout (0 purchase days when nothing), and per
    model the prediction for the holdout (null when that model is not fitted):
    - purchase days: BG/NBD and MBG/NBD expected purchases if alive
      (int_clv_holdout_purchases_if_alive) x P(alive) at the calibration end,
      and the naive baseline, the customer's own repeat rate x the horizon;
    - spend per purchase day: the Gamma-Gamma conditional mean from the
      customer's own calibration mean spend (gamma + m x) p / (p x + q - 1). -#}
{%- set double = type_double() -%}
{%- set days_per_unit =
    clv_time_units().days_per_unit[clv_backtest_settings().unit] -%}

with

summarised as (
    select * from {{ ref('int_customers_clv_calibration_summarised') }}
),

observed as (
    select * from {{ ref('int_customers_clv_holdout_observed') }}
),

backtest_parameters as (
    select * from {{ ref('int_clv_backtest_parameters') }}
),

purchases_if_alive as (
    select * from {{ ref('int_clv_holdout_purchases_if_alive') }}
),

bgnbd as (
    select
        r,
        alpha,
        a,
        b
    from backtest_parameters
    where model = 'bgnbd' and status = 'fitted'
),

mbgnbd as (
    select
        r,
        alpha,
        a,
        b
    from backtest_parameters
    where model = 'mbgnbd' and status = 'fitted'
),

gamma_gamma as (
    select
        p,
        q,
        gamma
    from backtest_parameters
    where model = 'gamma_gamma' and status = 'fitted'
),

bgnbd_alive as (
    select
        frequency,
        customer_age,
        alive_purchases
    from purchases_if_alive
    where model = 'bgnbd'
),

mbgnbd_alive as (
    select
        frequency,
        customer_age,
        alive_purchases
    from purchases_if_alive
    where model = 'mbgnbd'
),

{# ln(P(dead) / P(alive)) of each model: BG/NBD's customer without a repeat
   purchase is alive (null log-odds), MBG/NBD's may have left after it #}
log_odds as (
    select
        summarised.customer_id,
        summarised.frequency,
        summarised.recency,
        summarised.customer_age,
        summarised.monetary_value,
        case
            when summarised.frequency > 0
                then
                    ln(bgnbd.a) - ln(bgnbd.b + summarised.frequency - 1.0)
                    + (bgnbd.r + summarised.frequency)
                    * (
                        ln(bgnbd.alpha + summarised.customer_age)
                        - ln(bgnbd.alpha + summarised.recency)
                    )
        end as bgnbd_log_odds,
        ln(mbgnbd.a) - ln(mbgnbd.b + summarised.frequency)
        + (mbgnbd.r + summarised.frequency)
        * (
            ln(mbgnbd.alpha + summarised.customer_age)
            - ln(mbgnbd.alpha + summarised.recency)
        ) as mbgnbd_log_odds,
        (gamma_gamma.gamma + summarised.monetary_value * summarised.frequency)
        * gamma_gamma.p
        / (gamma_gamma.p * summarised.frequency + gamma_gamma.q - 1.0)
            as gamma_gamma_spend_per_purchase_day
    from summarised
    left join bgnbd
        on 1 = 1
    left join mbgnbd
        on 1 = 1
    left join gamma_gamma
        on 1 = 1
),

predicted as (
    select
        log_odds.customer_id,
        log_odds.frequency,
        log_odds.monetary_value,
        coalesce(observed.holdout_purchase_days, 0) as holdout_purchase_days,
        coalesce(observed.holdout_spend, 0.0) as holdout_spend,
        case
            when log_odds.customer_age > 0
                then log_odds.frequency / log_odds.customer_age
            else 0.0
        end
        * (
            cast({{ var('clv_holdout_days') }} as {{ double }})
            / cast({{ days_per_unit }} as {{ double }})
        ) as naive_purchase_days,
        bgnbd_alive.alive_purchases
        * case
            when log_odds.bgnbd_log_odds is null then 1.0
            else {{ clv_inverse_one_plus_exp('log_odds.bgnbd_log_odds') }}
        end as bgnbd_purchase_days,
        mbgnbd_alive.alive_purchases
        * {{ clv_inverse_one_plus_exp('log_odds.mbgnbd_log_odds') }}
            as mbgnbd_purchase_days,
        log_odds.gamma_gamma_spend_per_purchase_day
    from log_odds
    left join observed
        on log_odds.customer_id = observed.customer_id
    left join bgnbd_alive
        on
            log_odds.frequency = bgnbd_alive.frequency
            and log_odds.customer_age = bgnbd_alive.customer_age
    left join mbgnbd_alive
        on
            log_odds.frequency = mbgnbd_alive.frequency
            and log_odds.customer_age = mbgnbd_alive.customer_age
),

typed as (
    select
        customer_id,
        cast(frequency as {{ double }}) as frequency,
        cast(monetary_value as {{ double }}) as monetary_value,
        cast(holdout_purchase_days as {{ dbt.type_bigint() }})
            as holdout_purchase_days,
        cast(holdout_spend as {{ double }}) as holdout_spend,
        cast(naive_purchase_days as {{ double }}) as naive_purchase_days,
        cast(bgnbd_purchase_days as {{ double }}) as bgnbd_purchase_days,
        cast(mbgnbd_purchase_days as {{ double }}) as mbgnbd_purchase_days,
        cast(gamma_gamma_spend_per_purchase_day as {{ double }})
            as gamma_gamma_spend_per_purchase_day
    from predicted
)

select * from typed
