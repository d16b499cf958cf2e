{#- Every raw service interaction row, parsed, normalised and classified as clean,
    rejected (with reason and column) or superseded. Interactions carry no
    updated_at: of several rows with one interaction_id, the one written last in
    the file wins. Unknown channels and types map to `other`. -#}
{#- Typed Parquet columns are read as values, the others parsed from text
    (raw_typed_columns). -#}
{%- set typed = raw_typed_columns('service_interactions') -%}
{%- set checks = [
    ("_raw_line is not null", "bad_csv_line", "_raw_line"),
    ("interaction_id is null", "null_key", "interaction_id"),
    ("occurred_at is null", "bad_timestamp", "occurred_at"),
    ("raw_satisfaction is not null and satisfaction is null", "bad_number",
        "satisfaction"),
    ("satisfaction < 1 or satisfaction > 5", "out_of_range", "satisfaction"),
    ("cast(occurred_at as date) > " ~ as_of_date(), "future_date", "occurred_at"),
    ("customer_id is null or not has_known_customer", "orphan_customer",
        "customer_id"),
] -%}

with

source as (
    select * from {{ source('crm', 'service_interactions') }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

channel_aliases as ({{ code_aliases('channel') }}),

interaction_type_aliases as ({{ code_aliases('interaction_type') }}),

parsed as (
    select
        _source_file,
        _source_row,
        _raw_line,
        {{ raw_text_columns('service_interactions') }}
        {{ clean_key('interaction_id') }} as interaction_id,
        {{ clean_key('customer_id') }} as customer_id,
        {{ parse_timestamp('occurred_at', typed) }} as occurred_at,
        {{ alias_key('channel') }} as channel_key,
        {{ alias_key('interaction_type') }} as interaction_type_key,
        {{ parse_integer('satisfaction', typed) }} as satisfaction
    from source
),

normalised as (
    select
        parsed.*,
        coalesce(channel_aliases.code, 'other') as channel,
        coalesce(interaction_type_aliases.code, 'other') as interaction_type,
        customers.customer_id is not null as has_known_customer
    from parsed
    left join channel_aliases
        on parsed.channel_key = channel_aliases.alias
    left join interaction_type_aliases
        on parsed.interaction_type_key = interaction_type_aliases.alias
    left join customers
        on parsed.customer_id = customers.customer_id
),

{{ classify_rows('normalised', checks, 'interaction_id', '_source_row desc') }},

{# The raw text is kept where the rejects model shows it (docs/performance.md). #}
stored as (
    select
        _source_file,
        _source_row,
        {{ raw_text_of_rejected_rows('service_interactions') }}
        interaction_id,
        customer_id,
        occurred_at,
        channel_key,
        interaction_type_key,
        satisfaction,
        channel,
        interaction_type,
        has_known_customer,
        reject_reason,
        reject_column,
        row_status
    from classified
)

select * from stored
