{#- Nothing lost: raw rows = clean + rejected + superseded, for one source, and
    the raw rows cover the raw file: each record starts on the line after the
    previous one ends (_source_row + _source_lines), and their lines add up to
    the file's data lines counted from its text alone (or, for Parquet, to the
    rows in its footer), so a record the CSV reader dropped fails this test.
    model: the clean staging model; raw: the source; rejected: the rejects model;
    classified: the base model whose row_status counts the superseded rows. The
    file count is DuckDB only (other engines read tables the loader wrote; the
    loader checks the same count). -#}
{% test reconciles_with_source(model, raw, rejected, classified) %}

{%- set file_lines = 'cast(null as ' ~ dbt.type_bigint() ~ ')' -%}
{%- if execute and target.type == 'duckdb' and var('raw_data_path', none) is not none
    and raw.schema == var('raw_schema', none) -%}
    {%- set raw_file = raw_file_path(raw.identifier) -%}
    {%- if raw_file -%}
        {%- set file_lines = raw_file_data_lines(raw_file) -%}
    {%- endif -%}
{%- endif %}

with

raw_rows as (
    select
        _source_row,
        _source_lines,
        lead(_source_row) over (order by _source_row) as next_source_row
    from {{ raw }}
),

counts as (
    select
        (select count(*) from raw_rows) as raw_rows,
        (select count(*) from {{ model }}) as clean_rows,
        (select count(*) from {{ rejected }}) as rejected_rows,
        (
            select count(*) from {{ classified }}
            where row_status = 'superseded'
        ) as superseded_rows,
        (
            select count(*) from raw_rows
            where next_source_row != _source_row + _source_lines
        ) as rows_not_followed_by_the_next_line,
        (
            select coalesce(sum(_source_lines), 0) from raw_rows
        ) as raw_lines,
        {{ file_lines }} as file_lines
)

select *
from counts
where
    raw_rows != clean_rows + rejected_rows + superseded_rows
    or rows_not_followed_by_the_next_line > 0
    or raw_lines != coalesce(file_lines, raw_lines)

{% endtest %}
