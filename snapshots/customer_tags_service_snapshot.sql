{#- History of the service tags: a new version per customer whenever one of the
    mart's tag columns changes (check strategy on the registry's tag columns only).
    as_of_date is kept, so each version is dated by the build that saw it. -#}
{% snapshot customer_tags_service_snapshot %}

{{ config(tags=['monthly'], check_cols=tag_marts()['customer_tags_service']) }}

{{ tag_snapshot_select(ref('customer_tags_service'), 'customer_tags_service') }}

{% endsnapshot %}
