{#- Value tags, one row per clean customer. Source: orders (ltv through the
    BG/NBD + Gamma-Gamma prediction over the orders).
    Scores: never-ordered customers score 0 on R, F and M. Profit contribution
    compares profit with threshold x revenue, exactly (no rounding of shares). -#}
{%- set as_of_date = "cast('" ~ var('as_of_date') ~ "' as date)" -%}

with

order_metrics as (
    select * from {{ ref('int_customers_orders_summarised') }}
),

{# The prediction is a Python model: on an adapter without Python models it is
    disabled and every customer's ltv is unknown (DECISIONLOG 2026-11-27). -#}
ltv_predictions as (
    {%- if python_models_supported() %}
        select * from {{ ref('int_customers_ltv_predicted') }}
    {%- else %}
        select
            customer_id,
            cast(null as {{ type_double() }}) as predicted_ltv
        from order_metrics
    {%- endif %}
),

metrics as (
    select
        order_metrics.customer_id,
        order_metrics.has_valid_order,
        order_metrics.window_order_count,
        order_metrics.window_amount,
        order_metrics.window_profit,
        order_metrics.window_profit_share,
        order_metrics.days_since_last_order,
        ltv_predictions.predicted_ltv
    from order_metrics
    inner join ltv_predictions
        on order_metrics.customer_id = ltv_predictions.customer_id
),

scored as (
    select
        *,
        {{ band_ladder('days_since_last_order', [
            ('<=', var('r_score_high_max_days'), 5),
            ('<=', var('r_score_medium_max_days'), 3),
        ], otherwise=1, when_null=0) }} as r_score,
        case
            when not has_valid_order then 0
            else {{ band_ladder('window_order_count', [
                ('>=', var('frequency_high_min_orders'), 5),
                ('>=', var('frequency_medium_min_orders'), 3),
            ], otherwise=1) }}
        end as f_score,
        case
            when not has_valid_order then 0
            else {{ band_ladder('window_amount', [
                ('>=', var('m_high'), 5),
                ('>=', var('m_medium'), 3),
            ], otherwise=1) }}
        end as m_score
    from metrics
),

tagged as (
    select
        customer_id,
        {{ as_of_date }} as as_of_date,
        r_score,
        f_score,
        m_score,
        r_score + f_score + m_score as rfm_total,
        {{ band_ladder('r_score + f_score + m_score', [
            ('>=', var('level_vip_min_rfm'), 'vip'),
            ('>=', var('level_important_min_rfm'), 'important'),
            ('>=', var('level_ordinary_min_rfm'), 'ordinary'),
        ], otherwise='potential') }} as customer_level,
        case
            when window_amount <= 0 then 'unknown'
            else {{ band_ladder('window_profit', [
                ('>', var('profit_high_above') ~ ' * window_amount', 'high'),
                ('>=', var('profit_medium_min') ~ ' * window_amount', 'medium'),
            ], otherwise='low') }}
        end as profit_contribution,
        {{ band_ladder('predicted_ltv', [
            ('>', var('ltv_high_above'), 'high'),
            ('>=', var('ltv_medium_min'), 'medium'),
        ], otherwise='low', when_null='unknown') }} as ltv,
        predicted_ltv,
        window_order_count,
        window_amount,
        window_profit_share,
        days_since_last_order
    from scored
)

select * from tagged
