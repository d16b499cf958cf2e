{#- The raw input contract (spec section 1): table -> required columns.
    Column order in a file is free; extra columns are ignored. -#}
{% macro raw_contract() -%}
    {{ return({
        "customers": [
            "customer_id", "customer_name", "customer_type", "industry",
            "employee_count", "province", "city", "phone", "email",
            "decision_role", "created_at", "updated_at",
        ],
        "orders": [
            "order_id", "customer_id", "order_date", "product_category", "amount",
            "cost", "promotion_id", "status", "updated_at",
        ],
        "promotions": [
            "promotion_id", "promotion_name", "promotion_type", "start_date",
            "end_date", "discount_rate",
        ],
        "service_interactions": [
            "interaction_id", "customer_id", "occurred_at", "channel",
            "interaction_type", "satisfaction",
        ],
    }) }}
{%- endmacro %}

{#- Raw columns of a table selected as raw_<column> text, PII columns left out. -#}
{% macro raw_text_columns(table, exclude=[]) -%}
    {%- for column in raw_contract()[table] if column not in exclude %}
        {{ column }} as raw_{{ column }},
    {%- endfor %}
{%- endmacro %}

{#- The raw_<column> names of a table, comma separated (for rejects models). -#}
{% macro raw_column_names(table, exclude=[]) -%}
    {%- for column in raw_contract()[table] if column not in exclude %}
        raw_{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Raw columns of a table as raw_<column>, kept on rejected rows only (null on
    clean and superseded ones, which are read through their parsed columns): the
    base tables then write one raw text per rejected row instead of one per row.
    Reads row_status. -#}
{% macro raw_text_of_rejected_rows(table, exclude=[]) -%}
    {%- for column in raw_contract()[table] if column not in exclude %}
        case when row_status = 'rejected' then raw_{{ column }} end
            as raw_{{ column }},
    {%- endfor %}
{%- endmacro %}

{#- Contract columns whose values a typed Parquet column can hold, by kind:
    `temporal` (a date or timestamp column of the contract) or `number` (a
    decimal or integer one). Every other contract column is text. -#}
{% macro raw_typed_contract() -%}
    {{ return({
        "created_at": "temporal", "updated_at": "temporal", "order_date": "temporal",
        "occurred_at": "temporal", "start_date": "temporal", "end_date": "temporal",
        "amount": "number", "cost": "number", "discount_rate": "number",
        "employee_count": "number", "satisfaction": "number",
    }) }}
{%- endmacro %}

{#- The kind of a DuckDB column type a contract column of that kind may use as
    it is (the contract's type or a safe wider one): `temporal` for DATE and
    TIMESTAMP (any unit, with or without time zone), `number` for integers,
    DECIMAL, FLOAT and DOUBLE; none for any other type (text, and integers
    meant as dates such as 20260305, keep the text parsing). -#}
{% macro raw_type_kind(column_type) -%}
    {%- set type = column_type | upper -%}
    {%- if type in ['DATE', 'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS',
        'TIMESTAMP WITH TIME ZONE'] -%}
        {{ return('temporal') }}
    {%- elif type in ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT',
        'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT', 'FLOAT',
        'DOUBLE'] or type.startswith('DECIMAL') -%}
        {{ return('number') }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- Contract column -> DuckDB type of the raw file's columns that staging reads
    as typed values (the raw view's _typed_<column>): a Parquet column of the kind
    raw_typed_contract gives its contract column (raw_type_kind). Empty for a CSV
    file, at parse time and on other engines (they load text tables): the text is
    parsed then. file_types: lower-cased, trimmed name -> type of every column of
    the file; read from the file when not given. -#}
{% macro raw_typed_columns(table, raw_file=none, file_types=none) -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set raw_file = raw_file or raw_file_path(table) -%}
    {%- if not raw_file.endswith('.parquet') -%}
        {{ return({}) }}
    {%- endif -%}
    {%- if file_types is none -%}
        {%- set described = run_query(
            "describe select * from read_parquet('" ~ raw_glob_literal(raw_file) ~ "')"
        ) -%}
        {%- set file_types = {} -%}
        {%- for row in described.rows -%}
            {%- do file_types.update({row[0] | trim | lower: row[1]}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set typed = {} -%}
    {%- for column in raw_contract()[table] if column in raw_typed_contract() -%}
        {%- set column_type = file_types.get(column) -%}
        {%- if column_type and raw_type_kind(column_type) == raw_typed_contract()[column] -%}
            {%- do typed.update({column: column_type | upper}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(typed) }}
{%- endmacro %}
