{#- Fails (or warns, by its severity) on each pair of a tag's values that the
    backtest at var as_of_date ranks against the expected order: a value listed
    earlier in the tag's order (expected higher) has a lower measure than one
    listed later. The orders are the catalogue's expected_outcome entries
    (tag_expected_outcomes(), generated), or `expected` (same shape: tag ->
    {measure, order}). A value without a row (no customer held it) is not
    compared; ties are no contradiction. Each failing pair is also logged as one
    line naming the tag, both values and both measures. -#}
{% test outcome_order_as_expected(model, expected=none) %}

{%- set expected = tag_expected_outcomes() if expected is none else expected -%}
{%- set ranks = [] -%}
{%- for tag, outcome in expected.items() -%}
    {%- for value in outcome['order'] -%}
        {%- do ranks.append((tag, outcome['measure'], value, loop.index)) -%}
    {%- endfor -%}
{%- endfor -%}
{%- set order_sql -%}
with

backtest as (
    select * from {{ model }}
),

current_build as (
    select * from backtest
    where as_of_date = {{ as_of_date() }}
),

expected_order as (
    {% for tag, measure, value, rank in ranks -%}
        select
            '{{ tag }}' as tag,
            '{{ measure }}' as measure,
            '{{ value }}' as tag_value,
            {{ rank }} as expected_rank
        {% if not loop.last -%} union all {%- endif %}
    {% else -%}
        select
            cast(null as {{ dbt.type_string() }}) as tag,
            cast(null as {{ dbt.type_string() }}) as measure,
            cast(null as {{ dbt.type_string() }}) as tag_value,
            0 as expected_rank
        where 1 = 0
    {%- endfor %}
),

measured as (
    select
        expected_order.tag,
        expected_order.measure,
        expected_order.tag_value,
        expected_order.expected_rank,
        current_build.tags_as_of,
        current_build.horizon_days,
        cast(
            case
                when expected_order.measure = 'mean_spend'
                    then current_build.mean_spend
                else current_build.repurchase_share
            end
            as {{ type_double() }}
        ) as measured
    from expected_order
    inner join current_build
        on
            expected_order.tag = current_build.tag
            and expected_order.tag_value = current_build.tag_value
),

violations as (
    select
        higher.tag,
        higher.measure,
        higher.tag_value as expected_higher,
        higher.measured as higher_measured,
        lower.tag_value as expected_lower,
        lower.measured as lower_measured,
        higher.tags_as_of,
        higher.horizon_days
    from measured as higher
    inner join measured as lower
        on
            higher.tag = lower.tag
            and higher.expected_rank < lower.expected_rank
    where higher.measured < lower.measured
)

select * from violations
{%- endset -%}

{%- if execute -%}
    {%- set found = run_query(order_sql ~ " order by tag, expected_higher, expected_lower") -%}
    {%- for row in found.rows -%}
        {%- set pattern = "%.2f" if row['measure'] == 'mean_spend' else "%.3f" -%}
        {%- do log(
            "backtest contradicts the expected order in " ~ model ~ ": "
            ~ row['tag'] ~ " = " ~ row['expected_higher'] ~ " ("
            ~ row['measure'] ~ " " ~ pattern | format(row['higher_measured'] | float)
            ~ ") is expected above " ~ row['expected_lower'] ~ " ("
            ~ pattern | format(row['lower_measured'] | float) ~ "); tags as of "
            ~ row['tags_as_of'] ~ ", outcomes in the " ~ row['horizon_days']
            ~ " days after",
            info=true,
        ) -%}
    {%- endfor -%}
{%- endif -%}

{{ order_sql }}

{% endtest %}
