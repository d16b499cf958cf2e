{#- The BG/NBD expected purchase days IF alive, per model and distinct (x, T),
    in SQL on every engine: FHL 2005 eq. 10 without its P(alive) factor, as
    tag_warehouse.clv.bgnbd evaluates it (_bgnbd_alive_purchases):

        (a+b+x-1)/(a-1) (1 - G),  G = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z),
        z = t/(alpha+T+t)

    (Euler's transformation of 2F1(r+x, b+x; a+b+x-1; z): its parameters do not
    grow with x, so no term overflows). The MBG/NBD's is the same with b + 1
    (tag_warehouse.clv.mbgnbd): its caller passes b + 1. The series sum_k t_k is
    truncated at N = last_k terms (z^N < 1e-20, at most `terms`);
    t_k = prod_{j<k} (A+j)(B+j)/((C+j)(1+j)) z^k is taken from logs of the
    factors summed by a window over k (no lgamma: PostgreSQL and Spark lack it),
    its sign from the count of negative factors.

    Error bound: once every factor is positive (k >= N > -A, -B, -C) the term
    ratio is z (A+k)/(C+k) (B+k)/(1+k) <= rho = z max(1, (B+N)/(1+N)) (A <= C as
    r > 0, and (B+k)/(1+k) moves towards 1), so the rest of the series is at
    most |t_N| / (1 - rho), and the relative error of (1 - G) at most
    (1-z)^(a-1) |t_N| / (1 - rho) / |1 - G|: series_error_bound, the largest
    over the steps (a discounted sum has non-negative weights on the cumulative
    values, so its relative error is no larger). Null when the bound does not
    apply (too few terms).

    The caller defines three CTEs: curve_parameters (model, r, alpha, a, b: one
    row per curve, a as fitted), pairs (the distinct frequency, customer_age)
    and steps_timed (step 1 .. steps, step_t: the time ahead in the summary's
    unit, discount: the step's discount factor). This emits the CTEs from
    `parameters` to `per_pair` (model, frequency, customer_age,
    alive_purchases: at the last step, discounted_alive_purchases: the steps'
    increments discounted, series_error_bound). -#}
{% macro clv_alive_purchases_ctes(steps, terms) -%}
{%- set log_term =
    'coefficients.log_coefficient + coefficients.k * ln(evaluations_cut.z)' -%}
parameters as (
    select
        model,
        r,
        alpha,
        {#- a == 1 is a removable singularity: evaluated next to it -#}
        case
            when abs(a - 1.0) >= 1e-7 then a
            when a >= 1.0 then 1.0 + 1e-7
            else 1.0 - 1e-7
        end as a,
        b
    from curve_parameters
),

series as (
    {{ dbt.generate_series(terms + 1) }}
),

{# k = 0 .. terms: the terms summed, and term number `terms` for the bound #}
term_numbers as (
    select cast(generated_number as {{ dbt.type_int() }}) - 1 as k
    from series
),

distinct_frequencies as (
    select distinct frequency from pairs
),

{# the hypergeometric parameters of each curve and distinct x #}
frequencies as (
    select
        parameters.model,
        distinct_frequencies.frequency,
        parameters.a + parameters.b - 1.0 - parameters.r as upper_a,
        parameters.a - 1.0 as upper_b,
        parameters.a
        + parameters.b
        + distinct_frequencies.frequency
        - 1.0 as lower_c
    from distinct_frequencies
    cross join parameters
),

{# ln|factor j| and its negative parts; a zero factor (the series ends there) is
   taken as 1e-300, which makes every later term vanish #}
factors as (
    select
        frequencies.model,
        frequencies.frequency,
        term_numbers.k as j,
        ln(greatest(abs(frequencies.upper_a + term_numbers.k), 1e-300))
        + ln(greatest(abs(frequencies.upper_b + term_numbers.k), 1e-300))
        - ln(greatest(abs(frequencies.lower_c + term_numbers.k), 1e-300))
        - ln(1.0 + term_numbers.k) as log_factor,
        case when frequencies.upper_a + term_numbers.k < 0 then 1 else 0 end
        + case when frequencies.upper_b + term_numbers.k < 0 then 1 else 0 end
        + case when frequencies.lower_c + term_numbers.k < 0 then 1 else 0 end
            as negatives
    from frequencies
    cross join term_numbers
    where term_numbers.k < {{ terms }}
),

{# term k = j + 1: the factors 0 .. j; term 0 is 1 #}
coefficients as (
    select
        model,
        frequency,
        j + 1 as k,
        sum(log_factor) over (
            partition by model, frequency order by j
            rows between unbounded preceding and current row
        ) as log_coefficient,
        sum(negatives) over (
            partition by model, frequency order by j
            rows between unbounded preceding and current row
        ) as negatives
    from factors
    union all
    select
        model,
        frequency,
        0 as k,
        0.0 as log_coefficient,
        0 as negatives
    from frequencies
),

evaluations as (
    select
        frequencies.model,
        pairs.frequency,
        pairs.customer_age,
        steps_timed.step,
        steps_timed.discount,
        frequencies.upper_a,
        frequencies.lower_c,
        {#- ln(1 - z) = ln(alpha+T) - ln(alpha+T+t) -#}
        ln(parameters.alpha + pairs.customer_age)
        - ln(parameters.alpha + pairs.customer_age + steps_timed.step_t)
            as log1m_z
    from pairs
    inner join frequencies
        on pairs.frequency = frequencies.frequency
    inner join parameters
        on frequencies.model = parameters.model
    cross join steps_timed
),

evaluations_z as (
    select
        *,
        -({{ clv_expm1('log1m_z') }}) as z
    from evaluations
),

{# Terms summed per evaluation: k < last_k, where z^k < 1e-20 (the terms are at
   most z^k once every factor is positive, for a <= 2), at least past the
   negative factors, at most `terms`. The bound below is computed at last_k,
   so a short series shows in series_error_bound, never silently. #}
evaluations_cut as (
    select
        *,
        least(
            {{ terms }},
            greatest(
                ceil(ln(1e-20) / ln(z)),
                ceil(2.0 - upper_a),
                ceil(2.0 - lower_c),
                1.0
            )
        ) as last_k
    from evaluations_z
),

terms as (
    select
        evaluations_cut.model,
        evaluations_cut.frequency,
        evaluations_cut.customer_age,
        evaluations_cut.step,
        evaluations_cut.last_k,
        coefficients.k,
        case
            when
                coefficients.negatives - 2 * floor(coefficients.negatives / 2.0) = 1
                then -1.0
            else 1.0
        end
        * {{ clv_exp(log_term) }} as term
    from evaluations_cut
    inner join coefficients
        on
            evaluations_cut.model = coefficients.model
            and evaluations_cut.frequency = coefficients.frequency
            and evaluations_cut.last_k >= coefficients.k
),

sums as (
    select
        model,
        frequency,
        customer_age,
        step,
        max(last_k) as last_k,
        sum(case when k < last_k then term else 0.0 end) as hypergeometric,
        max(case when k = last_k then abs(term) end) as last_term
    from terms
    group by model, frequency, customer_age, step
),

cumulative as (
    select
        sums.model,
        sums.frequency,
        sums.customer_age,
        sums.step,
        evaluations_z.discount,
        parameters.a + parameters.b - 1.0 - parameters.r as upper_a,
        parameters.a + parameters.b + sums.frequency - 1.0 as lower_c,
        parameters.a,
        evaluations_z.z,
        evaluations_z.log1m_z,
        sums.hypergeometric,
        sums.last_k,
        sums.last_term,
        (parameters.a - 1.0) * evaluations_z.log1m_z
        + ln(greatest(abs(sums.hypergeometric), 1e-300)) as log_abs_g
    from sums
    inner join evaluations_z
        on
            sums.model = evaluations_z.model
            and sums.frequency = evaluations_z.frequency
            and sums.customer_age = evaluations_z.customer_age
            and sums.step = evaluations_z.step
    inner join parameters
        on sums.model = parameters.model
),

with_g as (
    select
        *,
        case
            when hypergeometric > 0 then -({{ clv_expm1('log_abs_g') }})
            else 1.0 + {{ clv_exp('log_abs_g') }}
        end as one_minus_g
    from cumulative
),

cumulative_purchases as (
    select
        model,
        frequency,
        customer_age,
        step,
        discount,
        lower_c / (a - 1.0) * one_minus_g as purchases,
        {#- the bound applies once every factor from term last_k on is positive -#}
        case
            when
                last_k + upper_a > 0
                and last_k + lower_c > 0
                and last_k + a - 1.0 > 0
                and z * greatest(1.0, (last_k + a - 1.0) / (last_k + 1.0)) < 1.0
                then
                    {{ clv_exp('(a - 1.0) * log1m_z') }} * last_term
                    / (1.0 - z * greatest(1.0, (last_k + a - 1.0) / (last_k + 1.0)))
                    / abs(one_minus_g)
        end as relative_bound
    from with_g
),

increments as (
    select
        *,
        purchases - coalesce(
            lag(purchases) over (
                partition by model, frequency, customer_age order by step
            ),
            0.0
        ) as step_purchases
    from cumulative_purchases
),

per_pair as (
    select
        model,
        frequency,
        customer_age,
        max(case when step = {{ steps }} then purchases end) as alive_purchases,
        sum(step_purchases * discount) as discounted_alive_purchases,
        {#- null (no bound) anywhere makes the pair's bound null -#}
        case
            when count(relative_bound) = count(*) then max(relative_bound)
        end as series_error_bound
    from increments
    group by model, frequency, customer_age
)
{%- endmacro %}
