{#- Incremental loading of a raw file (base_crm__customers, base_crm__orders_parsed;
    DuckDB): before a run, one query tells a file that only grew by appending from
    a file, or a parsing, that changed; the first parses only the appended rows,
    the second parses the whole file again as a full refresh would, by itself
    (docs/performance.md, DECISIONLOG 2026-12-02). -#}

{#- What a model needs to load its raw file: the `signature` of its parsing, the
    `fingerprint` of a raw row (an SQL expression, raw_row_fingerprint), and, on an
    incremental run, whether it parses only the appended rows (`appending`, after
    `watermark`) or the whole file again (`marker` is then full_reload_marker():
    the model's SQL starts with it, and the run logs why).
    parse_sql: the model's parsing CTEs, rendered (they read the CTE `source`).
    typed: raw_typed_columns of the table (the columns read as typed values). -#}
{% macro raw_load_plan(table, parse_sql, typed={}) -%}
    {%- set signature = raw_load_signature(parse_sql, typed) -%}
    {%- set plan = {
        'signature': signature,
        'fingerprint': raw_row_fingerprint(table, signature, typed),
        'appending': false,
        'watermark': 0,
        'marker': '',
    } -%}
    {%- if not (is_incremental() and execute) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set state = incremental_load_state(
        this, source('crm', table), table, signature, typed
    ) -%}
    {%- if state.appended_only -%}
        {%- do plan.update({'appending': true, 'watermark': state.watermark}) -%}
    {%- else -%}
        {%- do plan.update({'marker': full_reload_marker(
            this.identifier ~ ": " ~ state.reason ~ ": parsing the whole " ~ table
            ~ " file again"
        )}) -%}
    {%- endif -%}
    {{ return(plan) }}
{%- endmacro %}

{#- How a model parses its raw rows, as one SQL expression (DuckDB; empty
    elsewhere): a hash of the md5 of the model's code and of its parsing SQL as
    rendered (every macro it expands, the vars and the salt it pastes in; the
    warehouse's database name left out, so a copied or renamed warehouse file
    does not parse again) and of the types of the file's typed columns (`typed`:
    the fingerprint hashes their values, whose hash and text depend on the type),
    of the content of every seed the model reads (the alias and province seeds)
    and of the session time zone (WAREHOUSE_TIMEZONE). Evaluated by the query that
    reads the rows, so compiling needs no warehouse. Rows parsed under another
    signature may parse differently: raw_row_fingerprint holds it. -#}
{% macro raw_load_signature(parse_sql, typed={}) -%}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set typed_types = [] -%}
    {%- for column in typed | sort -%}
        {%- do typed_types.append(column ~ ' ' ~ typed[column]) -%}
    {%- endfor -%}
    {%- set code = local_md5(
        model.raw_code ~ '\n' ~ parse_sql | replace(adapter.quote(target.database), '')
        ~ '\n' ~ typed_types | join(', ')
    ) -%}
    {%- set parts = ["'" ~ code ~ "'", "current_setting('TimeZone')"] -%}
    {%- for node_id in model.depends_on.nodes | sort if node_id.startswith('seed.') -%}
        {%- do parts.append(
            "(select md5(coalesce(string_agg(cast(seed_row as varchar), chr(10)"
            ~ " order by cast(seed_row as varchar)), '')) from "
            ~ ref(graph.nodes[node_id].name) ~ " as seed_row)"
        ) -%}
    {%- endfor -%}
    {{ return('hash(' ~ parts | join(', ') ~ ')') }}
{%- endmacro %}

{#- A 64-bit fingerprint of one raw row: the signature of its parsing
    (raw_load_signature, an SQL expression), its position, every raw column and
    the text of a malformed CSV line (_raw_line). A column read as a typed value
    (`typed`, raw_typed_columns) is hashed as that value (the raw view's
    _typed_<column>), not as its text: the text is a cast of the value, and
    casting every loaded row to text only to hash it was most of an incremental
    run on typed Parquet (docs/performance.md). A row whose fingerprint is
    unchanged parses to the same stored values. -#}
{% macro raw_row_fingerprint(table, signature, typed={}) -%}
    {{ return(adapter.dispatch('raw_row_fingerprint')(table, signature, typed)) }}
{%- endmacro %}

{#- Other engines build the fingerprinted models as tables on every run: nothing
    reads it. -#}
{% macro default__raw_row_fingerprint(table, signature, typed={}) -%}
    cast(null as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro duckdb__raw_row_fingerprint(table, signature, typed={}) -%}
    hash(
        {{ signature }},
        _source_row,
        _raw_line,
        {%- for column in raw_contract()[table] %}
        {{ '_typed_' if column in typed }}{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- Before an incremental run: the last loaded row (watermark) and whether the
    file still holds exactly the loaded rows up to it (as many, with the same
    fingerprints: unchanged, in the same places, parsed the same way). Returns
    {'watermark': n, 'appended_only': bool, 'reason': why not}. Positions need not
    be consecutive. When the file changed, a second query finds the first changed
    row for the log. A full load when the table lacks the fingerprint (built by an
    older version). -#}
{% macro incremental_load_state(
    relation, source_relation, table, signature, typed={}
) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name')
        | list -%}
    {%- if '_row_fingerprint' not in columns -%}
        {{ return({
            'watermark': 0,
            'appended_only': false,
            'reason': 'the stored table has no row fingerprints (built by an older'
                ~ ' version of the model)',
        }) }}
    {%- endif -%}
    {%- set fingerprint = raw_row_fingerprint(table, signature, typed) -%}
    {%- set state = run_query(
        "with stored as (select coalesce(max(_source_row), 0) as watermark,"
        ~ " count(*) as loaded_rows, bit_xor(_row_fingerprint) as fingerprint"
        ~ " from " ~ relation ~ "),"
        ~ " file_prefix as (select count(*) as file_rows, bit_xor(" ~ fingerprint
        ~ ") as fingerprint from " ~ source_relation
        ~ " where _source_row <= (select stored.watermark from stored))"
        ~ " select stored.watermark, stored.loaded_rows,"
        ~ " stored.loaded_rows = file_prefix.file_rows"
        ~ " and file_prefix.fingerprint is not distinct from stored.fingerprint"
        ~ " from stored cross join file_prefix"
    ).rows[0] -%}
    {%- set watermark = state[0] | int -%}
    {%- if state[2] == true -%}
        {{ return({'watermark': watermark, 'appended_only': true, 'reason': none}) }}
    {%- endif -%}
    {%- set changed = run_query(
        "with stored as (select _source_row, _row_fingerprint from " ~ relation
        ~ "), file_prefix as (select _source_row, " ~ fingerprint
        ~ " as _row_fingerprint from " ~ source_relation
        ~ " where _source_row <= " ~ watermark ~ ")"
        ~ " select count(*), count(stored._source_row),"
        ~ " min(coalesce(stored._source_row, file_prefix._source_row))"
        ~ " from stored full outer join file_prefix"
        ~ " on stored._source_row = file_prefix._source_row"
        ~ " where stored._row_fingerprint is distinct from"
        ~ " file_prefix._row_fingerprint"
    ).rows[0] -%}
    {%- if changed[1] == state[1] and state[1] > 1 -%}
        {%- set reason = 'every loaded row parses differently now (WAREHOUSE_TIMEZONE,'
            ~ ' a seed it reads, its parsing code, the types of the file columns'
            ~ ' or how rows are fingerprinted changed, or every row of the file'
            ~ ' did)' -%}
    {%- else -%}
        {%- set reason = changed[0] ~ ' loaded row(s) of the ' ~ table ~ ' file'
            ~ ' changed, moved or disappeared, the first at _source_row '
            ~ changed[2] -%}
    {%- endif -%}
    {{ return({'watermark': watermark, 'appended_only': false, 'reason': reason}) }}
{%- endmacro %}

{#- The first line of the SQL of an incremental model that must be built again in
    full (a `/* ... */` comment holding the reason, also logged): dbt's
    should_full_refresh, below, sees it and rebuilds the table as --full-refresh
    would, for this model only. -#}
{% macro full_reload_marker(reason) -%}
    {{ log(reason, info=True) }}
    {{ return('/* ' ~ full_reload_tag() ~ ' ' ~ reason | replace('*/', '* /') ~ ' */') }}
{%- endmacro %}

{% macro full_reload_tag() -%}
    {{ return('full reload:') }}
{%- endmacro %}

{#- dbt's own should_full_refresh (the full_refresh config, else the
    --full-refresh flag), and true too for a model whose compiled SQL starts with
    full_reload_marker(): the incremental materialisation then builds it as a new
    table and swaps it in. -#}
{% macro should_full_refresh() -%}
    {%- set config_full_refresh = config.get('full_refresh') -%}
    {%- if config_full_refresh is none -%}
        {%- set config_full_refresh = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- set compiled = (model.get('compiled_code') if model is mapping else none)
        or '' -%}
    {{ return(
        config_full_refresh or compiled.lstrip().startswith('/* ' ~ full_reload_tag())
    ) }}
{%- endmacro %}

{#- When this dbt invocation started, as a timestamp literal: marks the rows a run
    wrote. -#}
{% macro run_started_at_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'
        as {{ dbt.type_timestamp() }})
{%- endmacro %}
