{#- Expose each raw file of var('raw_data_path') as a view <raw_schema>.<table>.

    For every table of the contract: <table>.parquet is used if present, else
    <table>.csv. Every contract column is read as text (staging casts, so one bad
    value rejects one row, not the file); _source_file and _source_row (1 = first
    data row) let a rejected row be traced back to the file. A missing file or a
    missing column stops the run with a message naming them. -#}
{% macro register_raw_sources() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- if target.type != 'duckdb' -%}
        {{ return(check_loaded_raw_tables()) }}
    {%- endif -%}
    {%- set raw_dir = (var('raw_data_path') | string).rstrip('/') -%}
    {%- set schema = var('raw_schema') -%}
    {%- do run_query('create schema if not exists ' ~ adapter.quote(schema)) -%}
    {%- for table, columns in raw_contract().items() -%}
        {%- set raw_file = find_raw_file(raw_dir, table) -%}
        {%- set reader = raw_reader(raw_file) -%}
        {%- set header = raw_file_columns(reader) -%}
        {%- set missing = [] -%}
        {%- for column in columns if column not in header -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ raw_file ~ " is missing required column(s): "
                ~ missing | join(', ') ~ ". Found: " ~ header.values() | join(', ')
                ~ ". Rename or add the column(s) in that file (see README, Raw input"
                ~ " contract); column names are case-insensitive and order is free."
            ) }}
        {%- endif -%}
        {%- set row_number = 'file_row_number + 1' if raw_file.endswith('.parquet')
            else 'row_number() over ()' -%}
        {%- set view_sql -%}
            create or replace view {{ adapter.quote(schema) }}.{{ table }} as
            select
                {%- for column in columns %}
                cast({{ adapter.quote(header[column]) }} as varchar) as {{ column }},
                {%- endfor %}
                '{{ raw_file | replace("'", "''") }}' as _source_file,
                {{ row_number }} as _source_row
            from {{ reader }}
        {%- endset -%}
        {%- do run_query(view_sql) -%}
        {{ log("raw " ~ table ~ " <- " ~ raw_file, info=True) }}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{% macro find_raw_file(raw_dir, table) %}
    {%- set quoted_dir = raw_dir | replace("'", "''") -%}
    {%- set found = run_query(
        "select file from glob('" ~ quoted_dir ~ "/" ~ table ~ ".parquet')"
        ~ " union all select file from glob('" ~ quoted_dir ~ "/" ~ table ~ ".csv')"
    ).columns[0].values() -%}
    {%- if found | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw file missing: expected " ~ raw_dir ~ "/" ~ table ~ ".parquet or "
            ~ raw_dir ~ "/" ~ table ~ ".csv. Set var raw_data_path to the directory"
            ~ " holding customers, orders, promotions and service_interactions, or run"
            ~ " `python scripts/generate_data.py --out " ~ raw_dir ~ "` for demo data."
        ) }}
    {%- endif -%}
    {{ return(found[0]) }}
{% endmacro %}

{% macro raw_reader(raw_file) %}
    {%- set quoted = raw_file | replace("'", "''") -%}
    {%- if raw_file.endswith('.parquet') -%}
        {{ return("read_parquet('" ~ quoted ~ "', file_row_number = true)") }}
    {%- endif -%}
    {{ return(
        "read_csv('" ~ quoted ~ "', header = true, all_varchar = true,"
        ~ " delim = ',', quote = '\"', escape = '\"',"
        ~ " encoding = '" ~ var('raw_csv_encoding') ~ "')"
    ) }}
{% endmacro %}

{#- Map lower-cased, trimmed column name -> the name as written in the file. -#}
{% macro raw_file_columns(reader) %}
    {%- set described = run_query('describe select * from ' ~ reader) -%}
    {%- set header = {} -%}
    {%- for name in described.columns[0].values() -%}
        {%- do header.update({name | trim | lower: name}) -%}
    {%- endfor -%}
    {{ return(header) }}
{% endmacro %}

{#- Engines other than DuckDB read tables in var('raw_schema') written by
    `python scripts/engines.py load`: stop with that command when one is missing,
    and say which tags this engine cannot compute. -#}
{% macro check_loaded_raw_tables() %}
    {%- for table in raw_contract() -%}
        {%- set relation = adapter.get_relation(
            database=target.database if target.type != 'spark' else none,
            schema=var('raw_schema'), identifier=table) -%}
        {%- if relation is none -%}
            {{ exceptions.raise_compiler_error(
                "Raw table " ~ var('raw_schema') ~ "." ~ table ~ " missing on target "
                ~ target.name ~ " (" ~ target.type ~ "). Load the raw files first:"
                ~ " python scripts/engines.py load --target " ~ target.type
                ~ " --raw <directory of the raw files>"
            ) }}
        {%- endif -%}
        {{ log("raw " ~ table ~ " <- table " ~ relation, info=True) }}
    {%- endfor -%}
    {%- if not python_models_supported() -%}
        {{ log(
            "ltv is DuckDB-only: " ~ target.type ~ " runs no dbt Python models, so the"
            ~ " LTV prediction is skipped and every customer's ltv tag = unknown",
            info=True) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- Whether this adapter runs the project's dbt Python models (the LTV fit). The
    models are disabled elsewhere (dbt_project.yml, same condition). -#}
{% macro python_models_supported() %}
    {{ return(target.type == 'duckdb') }}
{% endmacro %}
