{#- Nothing lost: raw rows = clean + rejected + superseded, for one source.
    model: the clean staging model; raw: the source; rejected: the rejects model;
    classified: the base model whose row_status counts the superseded rows. -#}
{% test reconciles_with_source(model, raw, rejected, classified) %}

with

counts as (
    select
        (select count(*) from {{ raw }}) as raw_rows,
        (select count(*) from {{ model }}) as clean_rows,
        (select count(*) from {{ rejected }}) as rejected_rows,
        (
            select count(*) from {{ classified }}
            where row_status = 'superseded'
        ) as superseded_rows
)

select *
from counts
where raw_rows != clean_rows + rejected_rows + superseded_rows

{% endtest %}
