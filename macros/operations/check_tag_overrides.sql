{#- Runs the checked-overrides query of int_tag_overrides_validated on its inputs
    while the model compiles, i.e. during `dbt build` before the model and anything
    downstream is built. Stops the build naming every bad row (row 1 = the first
    data row of the file); logs the expired overrides, which are ignored.
    Skipped while parsing and when an input does not exist yet (e.g. sqlfluff's
    templater on an empty warehouse). -#}
{% macro check_tag_overrides(checked_sql, overrides_file, inputs) %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- for input in inputs if input is not string -%}
        {%- if not relation_exists(input) -%}
            {{ return('') }}
        {%- endif -%}
    {%- endfor -%}
    {%- set found = run_query(
        "select override_row, customer_id, tag, value, problem, override_status,"
        ~ " valid_until from (" ~ checked_sql ~ ") as checked"
        ~ " where problem is not null or override_status = 'expired'"
        ~ " order by override_row"
    ) -%}
    {%- set problems = [] -%}
    {%- set expired = [] -%}
    {%- for row in found.rows -%}
        {%- set where = "row " ~ row['override_row'] ~ " (customer_id="
            ~ (row['customer_id'] or '') ~ ", tag=" ~ (row['tag'] or '')
            ~ ", value=" ~ (row['value'] or '') ~ ")" -%}
        {%- if row['problem'] is not none -%}
            {%- do problems.append(where ~ ": " ~ row['problem']) -%}
        {%- else -%}
            {%- do expired.append(where ~ " expired " ~ row['valid_until']) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            problems | length ~ " invalid manual tag override(s) in "
            ~ overrides_file ~ " (row 1 = first data row):\n  "
            ~ problems | join("\n  ")
            ~ "\nFix or remove these rows (docs/operations.md, Manual review)."
        ) }}
    {%- endif -%}
    {%- if expired -%}
        {{ log(
            "tag_overrides: " ~ expired | length ~ " expired override(s) in "
            ~ overrides_file ~ " ignored at as_of_date " ~ var('as_of_date') ~ ": "
            ~ expired | join("; "),
            info=True,
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- The columns a manual overrides file must have (those of seeds/tag_overrides.csv,
    which int_tag_overrides_validated reads). -#}
{% macro tag_overrides_columns() %}
    {{ return([
        'customer_id', 'tag', 'value', 'reason', 'reviewer', 'valid_from', 'valid_until'
    ]) }}
{% endmacro %}

{#- Problems with the CSV file named by var tag_overrides_path (empty: the seed is
    used, nothing to check): an existing file DuckDB reads, with every column of
    tag_overrides_columns(). validate_vars lists them with the other var problems,
    so a wrong path stops the build before any SQL runs. -#}
{% macro tag_overrides_file_problems() %}
    {%- set path = var('tag_overrides_path') | string | trim -%}
    {%- if not path -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set named = "tag_overrides_path '" ~ path ~ "'" -%}
    {%- set columns = tag_overrides_columns() | join(', ') -%}
    {%- if target.type != 'duckdb' -%}
        {{ return([named ~ " is read by DuckDB only: on " ~ target.type
            ~ " leave it empty and put the overrides in seeds/tag_overrides.csv"]) }}
    {%- endif -%}
    {%- set quoted = "'" ~ path | replace("'", "''") ~ "'" -%}
    {%- if run_query("select count(*) from glob(" ~ quoted ~ ")").columns[0][0] == 0 -%}
        {{ return([named ~ " is not an existing file: give a CSV file with columns "
            ~ columns ~ " (a relative path starts at the project root), or leave"
            ~ " it empty to use seeds/tag_overrides.csv"]) }}
    {%- endif -%}
    {%- set found = run_query(
        "select lower(column_name) from (describe select * from read_csv("
        ~ quoted ~ ", header = true, all_varchar = true))"
    ).columns[0].values() | list -%}
    {%- set missing = [] -%}
    {%- for column in tag_overrides_columns() if column not in found -%}
        {%- do missing.append(column) -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ return([named ~ " is missing required column(s): " ~ missing | join(', ')
            ~ ". Found: " ~ found | join(', ') ~ ". Expected: " ~ columns]) }}
    {%- endif -%}
    {{ return([]) }}
{% endmacro %}
