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
