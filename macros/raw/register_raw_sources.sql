{#- Expose each raw file of var('raw_data_path') as a view <raw_schema>.<table>.

    For every table of the contract: <table>.parquet is used if present, else
    <table>.csv (both present: a log line names both and their modification
    times). Every contract column is read as text (staging casts, so one bad
    value rejects one row, not the file; a typed Parquet column is also kept as
    it is, see raw_select); _source_file and _source_row let a
    rejected row be traced back to the file: for a CSV the line the record starts
    on as an editor shows it (the header is line 1), for Parquet the row number
    (1 = first row). A CSV line that is not a record of the header's fields
    (too many or too few fields, an unterminated quote, a blank line) is a row
    with every contract column null and its text in _raw_line, which staging
    rejects as bad_csv_line; _source_lines counts the lines of each record, so
    the reconciliation test can prove that the records cover every line of the
    file. A missing file, a missing column or two columns of one name stop the
    run with a message naming them. -#}
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
        {%- set header = raw_file_columns(raw_file) -%}
        {%- set missing = [] -%}
        {%- for column in columns if column not in header -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ raw_file ~ " is missing required column(s): "
                ~ missing | join(', ') ~ ". Found: " ~ header.values() | join(', ')
                ~ ". Rename or add the column(s) in that file (see docs/input.md,"
                ~ " Raw input contract); column names are case-insensitive and order is free."
            ) }}
        {%- endif -%}
        {%- set view_sql -%}
            create or replace view {{ adapter.quote(schema) }}.{{ table }} as
            {{ raw_select(raw_file, columns, header) }}
        {%- endset -%}
        {%- do run_query(view_sql) -%}
        {{ log("raw " ~ table ~ " <- " ~ raw_file, info=True) }}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#- The file of a raw table, found by its exact name: var raw_data_path is a
    directory path, never a pattern (glob characters in it are matched
    literally). Logs which file is used when both a .parquet and a .csv exist. -#}
{% macro find_raw_file(raw_dir, table) %}
    {%- set found = {} -%}
    {%- for extension in ['parquet', 'csv'] -%}
        {%- set path = raw_dir ~ "/" ~ table ~ "." ~ extension -%}
        {%- set modified = run_query(
            "select max(cast(last_modified as varchar)) from read_blob('"
            ~ raw_glob_literal(path) ~ "')"
        ).columns[0].values()[0] -%}
        {%- if modified is not none -%}
            {%- do found.update({extension: (path, modified)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error(
            "Raw file missing: expected " ~ raw_dir ~ "/" ~ table ~ ".parquet or "
            ~ raw_dir ~ "/" ~ table ~ ".csv. Set var raw_data_path to the directory"
            ~ " holding customers, orders, promotions and service_interactions, or run"
            ~ " `python scripts/generate_data.py --out " ~ raw_dir ~ "` for demo data."
        ) }}
    {%- endif -%}
    {%- if found | length > 1 -%}
        {{ log(
            "raw " ~ table ~ ": " ~ found['parquet'][0] ~ " (modified "
            ~ found['parquet'][1] ~ ") shadows " ~ found['csv'][0] ~ " (modified "
            ~ found['csv'][1] ~ "): the Parquet file is read, the CSV is ignored."
            ~ " Remove the file that is not meant to be read.", info=True) }}
    {%- endif -%}
    {{ return(found['parquet'][0] if 'parquet' in found else found['csv'][0]) }}
{% endmacro %}

{#- A file path as a DuckDB glob pattern that matches only that path: DuckDB's
    file functions expand * ? [ even in a single path, so each becomes a
    one-character class ([*], [?], [[]). Also quoted for a SQL text literal. -#}
{% macro raw_glob_literal(path) %}
    {%- set escaped = [] -%}
    {%- for character in path -%}
        {%- do escaped.append(
            '[' ~ character ~ ']' if character in '*?[' else character) -%}
    {%- endfor -%}
    {{ return(escaped | join('') | replace("'", "''")) }}
{% endmacro %}

{#- Map lower-cased, trimmed column name -> the name as written in the file.
    Stops when two columns have one name (exactly, in another case or with stray
    spaces): which of them is meant cannot be known. -#}
{% macro raw_file_columns(raw_file) %}
    {%- if raw_file.endswith('.parquet') -%}
        {%- set names = run_query(
            "select name from parquet_schema('" ~ raw_glob_literal(raw_file) ~ "')"
            ~ " where type is not null"
        ).columns[0].values() -%}
    {%- else -%}
        {%- set names = raw_csv_header(raw_file) -%}
    {%- endif -%}
    {%- set header = {} -%}
    {%- set clashes = {} -%}
    {%- for name in names -%}
        {%- set key = name | trim | lower -%}
        {%- if key in header -%}
            {%- do clashes.update({key: clashes.get(key, [header[key]]) + [name]}) -%}
        {%- endif -%}
        {%- do header.update({key: name}) -%}
    {%- endfor -%}
    {%- if clashes -%}
        {%- set described = [] -%}
        {%- for key, written in clashes.items() -%}
            {%- set quoted = [] -%}
            {%- for name in written -%}{%- do quoted.append('"' ~ name ~ '"') -%}{%- endfor -%}
            {%- do described.append(quoted | join(' and ')) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "Raw file " ~ raw_file ~ " has two columns of one name: "
            ~ described | join('; ') ~ " (names are compared trimmed and in any"
            ~ " case). Rename or remove one of them in that file."
        ) }}
    {%- endif -%}
    {{ return(header) }}
{% endmacro %}

{#- The query reading a raw file as the raw view and the loader of other engines
    (scripts/engines.py) see it: every contract column as text, _source_file,
    _source_row, _source_lines and _raw_line. header: raw_file_columns. A Parquet
    column that already holds its contract column's type (raw_typed_columns) is
    also selected as it is, as _typed_<column>: staging then checks the value
    instead of parsing its text (the loader of other engines leaves these out). -#}
{% macro raw_select(raw_file, columns, header) %}
    {%- set quoted_file = raw_file | replace("'", "''") -%}
    {%- if raw_file.endswith('.parquet') -%}
        {%- set typed = raw_typed_columns(
            raw_file.split('/')[-1].rsplit('.', 1)[0], raw_file) -%}
        {%- set sql -%}
            select
                {%- for column in columns %}
                cast({{ adapter.quote(header[column]) }} as varchar) as {{ column }},
                {%- endfor %}
                {%- for column in typed %}
                {{ adapter.quote(header[column]) }} as _typed_{{ column }},
                {%- endfor %}
                '{{ quoted_file }}' as _source_file,
                file_row_number + 1 as _source_row,
                1 as _source_lines,
                cast(null as varchar) as _raw_line
            from read_parquet('{{ raw_glob_literal(raw_file) }}', file_row_number = true)
        {%- endset -%}
        {{ return(sql) }}
    {%- endif -%}
    {%- if var('raw_csv_encoding') != 'utf-8' -%}
        {{ return(raw_csv_select_transcoded(raw_file, columns, header)) }}
    {%- endif -%}
    {%- set names = raw_csv_header(raw_file) -%}
    {%- set positions = {} -%}
    {%- for name in names -%}
        {%- do positions.update({name: loop.index}) -%}
    {%- endfor -%}
    {%- set fields = [] -%}
    {%- for column in columns -%}
        {%- do fields.append((column, positions[header[column]])) -%}
    {%- endfor -%}
    {%- if raw_csv_is_plain(raw_file, names) -%}
        {{ return(raw_csv_plain_select(raw_file, names, fields)) }}
    {%- endif -%}
    {{ return(raw_csv_records(raw_file, names | length, fields)) }}
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
            "CLV: " ~ target.type ~ " runs no dbt Python models; ltv and churn_risk"
            ~ " read the fit of `python scripts/clv.py fit --target " ~ target.name
            ~ "` (unknown without it)",
            info=True) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- Whether this adapter runs the project's dbt Python models (the LTV fit). The
    models are disabled elsewhere (dbt_project.yml, same condition). -#}
{% macro python_models_supported() %}
    {{ return(target.type == 'duckdb') }}
{% endmacro %}
