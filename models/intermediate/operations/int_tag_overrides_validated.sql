{#- Manual review overrides (seed tag_overrides, or the CSV at var
    tag_overrides_path), one row per override row, checked and classified at
    as_of_date: active (valid_from <= as_of_date <= valid_until, empty valid_until
    = open-ended), expired (valid_until before as_of_date: ignored and reported)
    or pending (starts later).

    Before this model is built, check_tag_overrides() runs the query below on the
    inputs and stops the build naming every bad row (unknown customer, unknown
    tag, value the registry does not allow, bad or missing field, overlapping
    overrides of one customer's tag), and logs the expired ones. Nothing
    downstream (customer_tags, customer_profile) is built on bad overrides. -#}
{%- set overrides_path = var('tag_overrides_path') | string | trim -%}
{%- set seed = ref('tag_overrides') -%}
{%- set customers_relation = ref('stg_crm__customers') -%}
{%- set registry_relation = ref('tag_registry') -%}
{%- if overrides_path -%}
    {%- set overrides_input = "read_csv('" ~ overrides_path | replace("'", "''")
        ~ "', header = true, all_varchar = true)" -%}
    {%- set overrides_file = overrides_path -%}
{%- else -%}
    {%- set overrides_input = seed -%}
    {%- set overrides_file = 'seeds/tag_overrides.csv' -%}
{%- endif -%}

{%- set text = dbt.type_string() -%}

{%- set checked_sql -%}
with

override_rows as (
    select * from {{ overrides_input }}
),

customers as (
    select * from {{ customers_relation }}
),

registry as (
    select * from {{ registry_relation }}
),

numbered as (
    select
        cast({{ row_number_in_input_order() }} as {{ dbt.type_bigint() }})
            as override_row,
        {{ clean_key('cast(customer_id as ' ~ text ~ ')') }} as customer_id,
        lower({{ clean_text('cast(tag as ' ~ text ~ ')') }}) as tag,
        lower({{ clean_text('cast(value as ' ~ text ~ ')') }}) as value,
        {{ clean_text('cast(reason as ' ~ text ~ ')') }} as reason,
        {{ clean_text('cast(reviewer as ' ~ text ~ ')') }} as reviewer,
        {{ clean_text('cast(valid_from as ' ~ text ~ ')') }} as valid_from_text,
        {{ clean_text('cast(valid_until as ' ~ text ~ ')') }} as valid_until_text
    from override_rows
),

parsed as (
    select
        *,
        {{ parse_date('valid_from_text') }} as valid_from,
        {{ parse_date('valid_until_text') }} as valid_until
    from numbered
),

overlapping_overrides as (
    select
        parsed.override_row,
        {{ sorted_text_agg('other.override_row', "', '") }} as overlapping_rows
    from parsed
    inner join parsed as other
        on
            parsed.customer_id = other.customer_id
            and parsed.tag = other.tag
            and parsed.override_row != other.override_row
            -- the two validity periods overlap (no valid_until: open-ended)
            and (other.valid_until is null or parsed.valid_from <= other.valid_until)
            and (parsed.valid_until is null or other.valid_from <= parsed.valid_until)
    group by parsed.override_row
),

checked as (
    select
        parsed.override_row,
        parsed.customer_id,
        parsed.tag,
        parsed.value,
        parsed.reason,
        parsed.reviewer,
        parsed.valid_from,
        parsed.valid_until,
        nullif(concat_ws(
            '; ',
            case
                when parsed.customer_id is null then 'customer_id is empty'
                when customers.customer_id is null
                    then 'unknown customer (not a clean customer_id)'
            end,
            case
                when parsed.tag is null then 'tag is empty'
                when registry.tag is null
                    then 'unknown tag (not an active tag of tag_registry)'
            end,
            case
                when parsed.value is null then 'value is empty'
                when registry.tag is null then null
                when
                    position(
                        '|' || parsed.value || '|' in '|' || registry.allowed_values || '|'
                    ) = 0
                    and not (
                        registry.open_values
                        and {{ regex_matches('parsed.value', '^[a-z0-9_]+$') }}
                    )
                    then 'value not allowed by the registry (allowed: '
                    || replace(registry.allowed_values, '|', ', ')
                    || case when registry.open_values then ', any code' else '' end
                    || ')'
            end,
            case when parsed.reason is null then 'reason is empty' end,
            case when parsed.reviewer is null then 'reviewer is empty' end,
            case
                when parsed.valid_from is null
                    then 'valid_from is not a date: '
                    || coalesce(parsed.valid_from_text, '(empty)')
            end,
            case
                when parsed.valid_until_text is not null and parsed.valid_until is null
                    then 'valid_until is not a date: ' || parsed.valid_until_text
                when parsed.valid_until < parsed.valid_from
                    then 'valid_until is before valid_from'
            end,
            case
                when overlapping_overrides.overlapping_rows is not null
                    then 'valid at the same time as row(s) '
                    || overlapping_overrides.overlapping_rows
                    || ' for this customer and tag'
            end
        ), '') as problem,
        case
            when {{ as_of_date() }} < parsed.valid_from then 'pending'
            when {{ as_of_date() }} > parsed.valid_until then 'expired'
            else 'active'
        end as override_status,
        {{ as_of_date() }} as as_of_date,
        '{{ overrides_file | replace("'", "''") }}' as overrides_file
    from parsed
    left join customers
        on parsed.customer_id = customers.customer_id
    left join registry
        on
            parsed.tag = registry.tag
            -- a draft or deprecated tag is not in customer_tags: not overridable
            and registry.status = 'active'
    left join overlapping_overrides
        on parsed.override_row = overlapping_overrides.override_row
)

select * from checked
{%- endset -%}

{{ check_tag_overrides(checked_sql, overrides_file, [
    overrides_input, customers_relation, registry_relation
]) }}

{{ checked_sql }}
