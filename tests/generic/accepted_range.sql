{#- Fails on rows whose column lies outside [min_value, max_value] (either bound
    optional, a literal or an expression over the model's columns; inclusive unless
    inclusive=false). Nulls pass: pair with not_null. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none,
    inclusive=true) %}

select *
from {{ model }}
where
    {{ column_name }} is not null
    and (
        1 = 2
        {%- if min_value is not none %}
        or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}
    )

{% endtest %}
