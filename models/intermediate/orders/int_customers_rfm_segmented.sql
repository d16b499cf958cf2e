{#- The eight-segment RFM model of spec 3.1, one row per clean customer. Population
    P: customers with a valid window order. R = days since the last valid order,
    F = window orders, M = window amount. The cuts (var rfm_segment_cut): mean or
    median of R, F and M over P, or the fixed vars. Each cut is held as an exact
    fraction numerator / denominator (a mean: sum / |P|; a median: the middle
    value / 1, or the two middle values / 2), and a customer is compared by
    cross-multiplying (R * den <= num, F * den >= num, M * den >= num): integers
    and decimals, no floating-point rounding. With var
    rfm_segment_single_order_as_new, customers of P with exactly one valid order
    ever are `new` and left out of the population the cuts are computed on.
    Customers not in P: `none`. -#}
{#- A table: the value mart and the cut record both read it. -#}
{{ config(materialized='table') }}
{%- set method = var('rfm_segment_cut') -%}
{%- set fixed = {
    'r_days': var('rfm_segment_r_days'),
    'f_orders': var('rfm_segment_f_orders'),
    'm_amount': var('rfm_segment_m_amount'),
} -%}

with

orders_summarised as (
    select * from {{ ref('int_customers_orders_summarised') }}
),

measured as (
    select
        customer_id,
        days_since_last_order as r_days,
        window_order_count as f_orders,
        window_amount as m_amount,
        window_order_count > 0 as is_in_population,
        window_order_count > 0 and valid_order_count = 1 as is_new
    from orders_summarised
),

cut_population as (
    select
        customer_id,
        r_days,
        f_orders,
        m_amount
    from measured
    where
        is_in_population
    {%- if var('rfm_segment_single_order_as_new') %}
        and not is_new
    {%- endif %}
),

{#- per measure, the cut as numerator / denominator, one row -#}
{%- for measure in ['r_days', 'f_orders', 'm_amount'] %}
    {%- if method == 'median' %}

        {{ measure }}_ranked as (
            select
                {{ measure }},
                row_number() over (order by {{ measure }} asc) as value_rank,
                count(*) over () as population_size
            from cut_population
        ),

        {#- the middle rank (|P| odd) or the two middle ranks (|P| even): the
            ranks k with |P| <= 2k <= |P| + 2 -#}
        {{ measure }}_cut as (
            select
                sum({{ measure }}) as cut_numerator,
                count(*) as cut_denominator
            from {{ measure }}_ranked
            where
                2 * value_rank >= population_size
                and 2 * value_rank <= population_size + 2
        ),
    {%- elif method == 'mean' %}

        {{ measure }}_cut as (
            select
                sum({{ measure }}) as cut_numerator,
                count(*) as cut_denominator
            from cut_population
        ),
    {%- else %}

        {{ measure }}_cut as (
            select
                {{ fixed[measure] }} as cut_numerator,
                1 as cut_denominator
        ),
    {%- endif %}
{%- endfor %}

population as (
    select
        count(*) as population_size,
        cast(
            sum(case when is_new then 1 else 0 end) as {{ dbt.type_bigint() }}
        ) as new_customers
    from measured
    where is_in_population
),

cuts as (
    select
        population.population_size,
        population.new_customers,
        r_days_cut.cut_numerator as r_cut_numerator,
        r_days_cut.cut_denominator as r_cut_denominator,
        f_orders_cut.cut_numerator as f_cut_numerator,
        f_orders_cut.cut_denominator as f_cut_denominator,
        m_amount_cut.cut_numerator as m_cut_numerator,
        m_amount_cut.cut_denominator as m_cut_denominator
    from population
    cross join r_days_cut
    cross join f_orders_cut
    cross join m_amount_cut
),

compared as (
    select
        measured.*,
        cuts.*,
        measured.r_days * cuts.r_cut_denominator
        <= cuts.r_cut_numerator as is_recent,
        measured.f_orders * cuts.f_cut_denominator
        >= cuts.f_cut_numerator as is_frequent,
        measured.m_amount * cuts.m_cut_denominator
        >= cuts.m_cut_numerator as is_high_value
    from measured
    cross join cuts
),

segmented as (
    select
        customer_id,
        {{ as_of_date() }} as as_of_date,
        r_days,
        f_orders,
        m_amount,
        is_in_population,
        is_new,
        is_recent,
        is_frequent,
        is_high_value,
        case
            when not is_in_population then 'none'
            {%- if var('rfm_segment_single_order_as_new') %}
            when is_new then 'new'
            {%- endif %}
            else
                (case when is_high_value then 'important' else 'general' end)
                || '_'
                || case
                    when is_recent and is_frequent then 'value'
                    when is_recent then 'develop'
                    when is_frequent then 'keep'
                    else 'retain'
                end
        end as rfm_segment_code,
        '{{ method }}' as rfm_cut_method,
        population_size as rfm_population_size,
        new_customers as rfm_new_customers,
        r_cut_numerator,
        r_cut_denominator,
        f_cut_numerator,
        f_cut_denominator,
        m_cut_numerator,
        m_cut_denominator,
        cast(
            cast(r_cut_numerator as {{ type_double() }}) / nullif(r_cut_denominator, 0)
            as decimal(18, 2)
        ) as rfm_r_cut,
        cast(
            cast(f_cut_numerator as {{ type_double() }}) / nullif(f_cut_denominator, 0)
            as decimal(18, 2)
        ) as rfm_f_cut,
        cast(
            cast(m_cut_numerator as {{ type_double() }}) / nullif(m_cut_denominator, 0)
            as decimal(18, 2)
        ) as rfm_m_cut
    from compared
)

select * from segmented
