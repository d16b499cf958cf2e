{#- History of the behavior tags: a new version per customer whenever one of the
    mart's tag columns changes (check strategy on the registry's tag columns only).
    as_of_date is kept, so each version is dated by the build that saw it. -#}
{% snapshot customer_tags_behavior_snapshot %}

{{ config(tags=['daily'], check_cols=tag_marts()['customer_tags_behavior']) }}

{{ tag_snapshot_select(ref('customer_tags_behavior'), 'customer_tags_behavior') }}

{% endsnapshot %}
