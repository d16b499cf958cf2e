{#- Fails (or warns, by its severity) on each model of a fit table whose status is
    failed, returning the model and the reason it failed. Disabled models pass. -#}
{% test no_failed_model_fit(model, status_column='status') %}

select distinct
    model,
    reason
from {{ model }}
where {{ status_column }} = 'failed'

{% endtest %}
