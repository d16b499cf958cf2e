{#- Every recorded version of every tag: the tag history models
    (models/history/, one slice per build date; tag_history_marts(): active and
    deprecated tags of each mart, from the catalogue) unpivoted into
    (customer_id, mart, tag, tag_value) per version, with the previous version's
    value and as_of_date. A version is a customer's first row in the mart's
    history or a row where one of the mart's tags differs from the customer's
    previous row, in as_of_date order: building dates out of order, or
    rebuilding one, gives the same versions (docs/operations.md). -#}
{#- A tag's versions are those of its mart's history, so each row gets its
    previous row and version (tag_history_versions: two windows per mart, over
    customers) before the unpivot, instead of a window per (customer, tag) over
    20 times as many rows (docs/performance.md). Each _versions CTE is read once
    per tag of its mart. -#}

with

{% for mart in tag_history_marts() %}
    {{ mart }}_history as (
        select * from {{ ref(mart ~ '_history') }}
    ),

    {{ tag_history_versions(mart) }},
{% endfor %}

unpivoted as (
    {{ union_tag_columns(
        [
            'customer_id',
            'as_of_date',
            'cast(recorded_at as ' ~ dbt.type_timestamp() ~ ') as recorded_at',
        ],
        'tag_value',
        suffix='_versions',
        extra_columns=[
            'cast(previous_{tag} as ' ~ dbt.type_string() ~ ') as previous_value',
            'previous_as_of_date',
            'version_number',
        ],
        marts=tag_history_marts(),
    ) }}
)

select * from unpivoted
