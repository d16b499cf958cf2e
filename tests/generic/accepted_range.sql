{#- Fails on rows whose column lies outside [min_value, max_value] (either bound
    optional; inclusive unless inclusive=false). Nulls pass: pair with not_null. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none,
    inclusive=true) %}

with

checked as (
    select {{ column_name }} as value
    from {{ model }}
    where {{ column_name }} is not null
),

violations as (
    select value
    from checked
    where
        1 = 2
        {%- if min_value is not none %}
        or value {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or value {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}
)

select * from violations

{% endtest %}
