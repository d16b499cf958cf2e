{#- Incremental loading of the customers (base_crm__customers, DuckDB): the state
    a run reads before it decides between loading only the appended rows and
    parsing the whole file again (docs/performance.md, DECISIONLOG 2026-12-02). -#}

{#- A 64-bit fingerprint of one raw row: its position, every raw column, and all
    the parsing depends on besides the row (the PII salt, the session time zone,
    the alias and province seeds, and `signature`: a hash of the model's code and
    columns, so a new version of the model parses every row again). A row whose
    fingerprint is unchanged parses to the same stored values (a change to a
    parsing macro alone needs --full-refresh). -#}
{% macro raw_row_fingerprint(table, signature) -%}
    {{ return(adapter.dispatch('raw_row_fingerprint')(table, signature)) }}
{%- endmacro %}

{#- Other engines build the customers as a table on every run: nothing reads it. -#}
{% macro default__raw_row_fingerprint(table, signature) -%}
    cast(null as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro duckdb__raw_row_fingerprint(table, signature) -%}
    hash(
        '{{ env_var("WAREHOUSE_PII_SALT", "") }}',
        '{{ signature }}',
        current_setting('TimeZone'),
        (select bit_xor(hash(domain, alias, code)) from {{ ref('code_aliases') }}),
        (
            select bit_xor(hash(alias, province, region))
            from {{ ref('province_regions') }}
        ),
        _source_row,
        {%- for column in raw_contract()[table] %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- Before an incremental run: the last loaded row (watermark) and whether the
    file still holds exactly the loaded rows up to it (as many rows, same
    fingerprints, in the same places; _source_row is a line number, not dense
    when a quoted field spans lines). Returns {'watermark': n, 'appended_only':
    bool}; a full load when the table lacks the fingerprint (built by an older
    version). -#}
{% macro incremental_load_state(relation, source_relation, table, signature) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name')
        | list -%}
    {%- if '_row_fingerprint' not in columns -%}
        {{ return({'watermark': 0, 'appended_only': false}) }}
    {%- endif -%}
    {%- set state = run_query(
        "with stored as (select coalesce(max(_source_row), 0) as watermark,"
        ~ " count(*) as loaded_rows, bit_xor(_row_fingerprint) as fingerprint"
        ~ " from " ~ relation ~ "),"
        ~ " file_prefix as (select count(*) as file_rows, bit_xor("
        ~ raw_row_fingerprint(table, signature) ~ ") as fingerprint"
        ~ " from " ~ source_relation ~ " where _source_row <= (select stored.watermark from stored))"
        ~ " select stored.watermark, file_prefix.file_rows = stored.loaded_rows"
        ~ " and file_prefix.fingerprint is not distinct from stored.fingerprint"
        ~ " from stored cross join file_prefix"
    ) -%}
    {{ return({
        'watermark': state.columns[0].values()[0] | int,
        'appended_only': state.columns[1].values()[0] == true,
    }) }}
{%- endmacro %}

{#- When this dbt invocation started, as a timestamp literal: marks the rows a run
    wrote. -#}
{% macro run_started_at_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'
        as {{ dbt.type_timestamp() }})
{%- endmacro %}
