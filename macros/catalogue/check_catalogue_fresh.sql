{#- on-run-start: stops the run before any model when a file of the tag catalogue
    (catalogue/**/*.yml) changed since the models, seeds and tests were generated
    from it (the sha256 recorded by `python scripts/catalogue.py generate` in
    catalogue_sha256()). DuckDB reads and hashes the files itself (read_text,
    sha256); other engines rely on the drift test (tests/test_catalogue.py). -#}
{% macro check_catalogue_fresh() %}
    {%- if not execute or target.type != 'duckdb' -%}{{ return('') }}{%- endif -%}
    {%- set project_dir = invocation_args_dict.get('project_dir') or '.' -%}
    {%- set pattern = (project_dir | string).rstrip('/') ~ '/catalogue/**/*.yml' -%}
    {%- if "'" in pattern -%}
        {{ exceptions.raise_compiler_error(
            "The project directory may not contain a quote: " ~ project_dir) }}
    {%- endif -%}
    {%- set found = run_query(
        "select sha256(coalesce(string_agg(content, '' order by filename), ''))"
        ~ " from read_text('" ~ pattern ~ "')"
    ).columns[0][0] -%}
    {%- if found != catalogue_sha256() -%}
        {{ exceptions.raise_compiler_error(
            "The tag catalogue (catalogue/**/*.yml) changed since the models, seeds"
            ~ " and tests were generated from it: run `python scripts/catalogue.py"
            ~ " generate` (scripts/dev.py build does) and build again.") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
