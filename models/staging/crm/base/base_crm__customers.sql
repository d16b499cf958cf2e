{#- Every raw customer row, parsed, normalised and classified as clean, rejected
    (with reason and column) or superseded. PII: the name is dropped, phone and
    e-mail are salted hashes.

    Incremental on DuckDB (docs/performance.md, DECISIONLOG 2026-12-02): when the
    file still holds every loaded row unchanged in its place and parses the same
    way (fingerprints, see raw_load_plan), a run parses only the rows appended
    since and classifies them with the stored versions of the same customers,
    which are replaced (delete+insert on _source_row: an older version becomes
    superseded). Any other change (a row edited, removed or moved; a new salt,
    time zone, alias seed or parsing code) parses the whole file again and
    rebuilds the table, as --full-refresh would. Other engines build a table on
    every run. -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key='_source_row',
    on_schema_change='fail',
) }}
{#- Typed Parquet columns are read as values, the others parsed from text
    (raw_typed_columns). -#}
{%- set typed = raw_typed_columns('customers') -%}
{%- set pii_columns = ['customer_name', 'phone', 'email'] -%}
{%- set checks = [
    ("_raw_line is not null", "bad_csv_line", "_raw_line"),
    ("customer_id is null", "null_key", "customer_id"),
    ("updated_at is null", "bad_timestamp", "updated_at"),
    ("raw_created_at is not null and created_at is null", "bad_timestamp",
        "created_at"),
    ("raw_employee_count is not null and employee_count is null", "bad_number",
        "employee_count"),
    ("employee_count < 0", "out_of_range", "employee_count"),
] -%}
{#- The parsed and normalised values, in the order of `normalised`: stored rows are
    read back in this order, and the table stores them after the raw text. -#}
{%- set value_columns = [
    'customer_id', 'customer_type_key', 'industry_key', 'employee_count',
    'province_key', 'city', 'phone_hash', 'email_hash', 'decision_role_key',
    'created_at', 'updated_at', 'customer_type', 'industry', 'province', 'region',
    'decision_role',
] -%}
{%- set normalised_columns = [
    '_source_row', '_row_fingerprint', '_loaded_at',
    raw_column_names('customers', exclude=pii_columns),
] + value_columns -%}
{#- Everything that turns a raw row into its parsed values (from the CTE
    `source`): its rendered text is part of the rows' fingerprints. sqlfluff
    would lint the block as if indented:
-- sqlfluff:indentation:template_blocks_indent:False
-#}
{%- set parse_sql -%}
customer_type_aliases as ({{ code_aliases('customer_type') }}),

industry_aliases as ({{ code_aliases('industry') }}),

decision_role_aliases as ({{ code_aliases('decision_role') }}),

province_regions as (
    select * from {{ ref('province_regions') }}
),

parsed as (
    select
        _source_row,
        _row_fingerprint,
        _loaded_at,
        _raw_line,
        {{ raw_text_columns('customers', exclude=pii_columns) }}  -- noqa: LT02
        {{ clean_key('customer_id') }} as customer_id,
        {{ alias_key('customer_type') }} as customer_type_key,
        {{ alias_key('industry') }} as industry_key,
        {{ parse_integer('employee_count', typed) }} as employee_count,
        {{ alias_key('province') }} as province_key,
        {{ clean_text('city') }} as city,
        {{ hash_pii(clean_text('phone')) }} as phone_hash,
        {{ hash_pii(alias_key('email')) }} as email_hash,
        {{ alias_key('decision_role') }} as decision_role_key,
        {{ parse_timestamp('created_at', typed) }} as created_at,
        {{ parse_timestamp('updated_at', typed) }} as updated_at
    from source
),

normalised as (
    select
        parsed.*,
        coalesce(customer_type_aliases.code, 'other') as customer_type,
        coalesce(industry_aliases.code, 'other') as industry,
        province_regions.province,
        coalesce(province_regions.region, 'other') as region,
        coalesce(decision_role_aliases.code, 'unknown') as decision_role
    from parsed
    left join customer_type_aliases
        on parsed.customer_type_key = customer_type_aliases.alias
    left join industry_aliases
        on parsed.industry_key = industry_aliases.alias
    left join province_regions
        on parsed.province_key = province_regions.alias
    left join decision_role_aliases
        on parsed.decision_role_key = decision_role_aliases.alias
),
{%- endset -%}
{#- The classification as a full load renders it, for the fingerprints too. -#}
{%- set classify_sql = classify_rows(
    'normalised', checks, 'customer_id', 'updated_at desc, _source_row desc'
) -%}
{%- set load = raw_load_plan('customers', parse_sql ~ classify_sql, typed) -%}
{%- set appending = load.appending -%}
{{ load.marker }}

with

source as (
    select
        *,
        {{ load.fingerprint }} as _row_fingerprint,
        {{ run_started_at_timestamp() }} as _loaded_at
    from {{ source('crm', 'customers') }}
    {%- if appending %}
        where _source_row > {{ load.watermark }}
    {%- endif %}
),

{{ parse_sql }}

{%- if appending %}

{# The stored valid versions of the customers the new rows are versions of: ranked
   again with them. Rejected rows never change (a stored row is never a bad CSV
   line: only rows with reject_reason null are read back). #}
stored_versions as (
    select
        {{ normalised_columns | join(', ') }},
        cast(null as {{ dbt.type_string() }}) as _raw_line
    from {{ this }}
    where
        reject_reason is null
        and customer_id in (select normalised.customer_id from normalised)
),

batch as (
    select {{ normalised_columns | join(', ') }}, _raw_line from normalised
    union all
    select * from stored_versions
),
{%- endif %}

{{ classify_rows(
    'batch' if appending else 'normalised', checks, 'customer_id',
    'updated_at desc, _source_row desc'
) }},

{# The raw text is kept where the rejects model shows it (docs/performance.md). #}
stored as (
    select
        _source_row,
        _row_fingerprint,
        _loaded_at,
        {{ raw_text_of_rejected_rows('customers', exclude=pii_columns) }}
        {{ value_columns | join(',\n        ') }},
        reject_reason,
        reject_column,
        row_status
    from classified
)

select * from stored
