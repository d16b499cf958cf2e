{#- Raw text kept as a residual: the raw value only where it differs from the
    canonical text of the value parsed from it, else null. Almost every raw value
    is already canonical, so an incremental model keeps the raw text of millions of
    rows at the cost of a few nullable columns, and restores it exactly.
    Exact as long as the canonical text is null whenever the raw text is null. -#}
{% macro raw_residual(raw, canonical) -%}
    nullif({{ raw }}, {{ canonical }})
{%- endmacro %}

{% macro raw_restored(residual, canonical) -%}
    coalesce({{ residual }}, {{ canonical }})
{%- endmacro %}

{#- Orders: raw column -> canonical text of its parsed value (null when the raw
    text is null: an empty product_category parses to 'unknown', so 'unknown' is
    not canonical). Amounts are canonical with two decimals. -#}
{% macro orders_canonical_text() -%}
    {{ return({
        "order_id": "order_id",
        "customer_id": "customer_id",
        "order_date": "cast(order_date as " ~ dbt.type_string() ~ ")",
        "product_category": "nullif(product_category, 'unknown')",
        "amount": "cast(cast(amount as decimal(18, 2)) as " ~ dbt.type_string() ~ ")",
        "cost": "cast(cast(cost as decimal(18, 2)) as " ~ dbt.type_string() ~ ")",
        "promotion_id": "promotion_id",
        "status": "status",
        "updated_at": "cast(updated_at as " ~ dbt.type_string() ~ ")",
    }) }}
{%- endmacro %}

{#- The raw file of a table as the on-run-start hook registers it (<table>.parquet,
    else <table>.csv in var raw_data_path); empty when there is none (the hook
    stops the run then). Lets a view name its source file without reading it. -#}
{% macro raw_file_path(table) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- if target.type != 'duckdb' -%}
        {#- Other engines: the loader (scripts/engines.py) stored the file's name. -#}
        {%- set relation = api.Relation.create(
            database=target.database if target.type != 'spark' else none,
            schema=var('raw_schema'), identifier=table) -%}
        {%- set found = run_query(
            "select max(_source_file) from " ~ relation).columns[0].values() -%}
        {{ return(found[0] or '') }}
    {%- endif -%}
    {%- set raw_dir = (var('raw_data_path') | string).rstrip('/') -%}
    {%- for extension in ['parquet', 'csv'] -%}
        {%- set path = raw_dir ~ "/" ~ table ~ "." ~ extension -%}
        {%- if run_query(
            "select count(*) from glob('" ~ raw_glob_literal(path) ~ "')"
        ).columns[0].values()[0] > 0 -%}
            {{ return(path) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#- raw_file_path as a quoted SQL text literal: a model that does not store the
    file name selects it as _source_file. -#}
{% macro raw_file_literal(table) -%}
    '{{ raw_file_path(table) | replace("'", "''") }}'
{%- endmacro %}

{#- `nullif(raw_<column>, <canonical>) as raw_<column>_if_different,` per column. -#}
{% macro raw_residual_columns(canonical) -%}
    {%- for column, text in canonical.items() %}
        {{ raw_residual('raw_' ~ column, text) }} as raw_{{ column }}_if_different,
    {%- endfor %}
{%- endmacro %}

{#- `coalesce(raw_<column>_if_different, <canonical>) as raw_<column>,` per column. -#}
{% macro raw_restored_columns(canonical) -%}
    {%- for column, text in canonical.items() %}
        {{ raw_restored('raw_' ~ column ~ '_if_different', text) }} as raw_{{ column }},
    {%- endfor %}
{%- endmacro %}
