{#- History of the lifecycle tags: a new version per customer whenever one of the
    mart's tag columns changes (check strategy on the registry's tag columns only).
    as_of_date is kept, so each version is dated by the build that saw it. -#}
{% snapshot customer_tags_lifecycle_snapshot %}

{{ config(tags=['daily'], check_cols=tag_marts()['customer_tags_lifecycle']) }}

{{ tag_snapshot_select(ref('customer_tags_lifecycle'), 'customer_tags_lifecycle') }}

{% endsnapshot %}
