{#- The CSV reader of the raw files: every option is fixed here, nothing is
    guessed (DECISIONLOG 2026-12-02, "Raw CSV files are read exactly").

    A UTF-8 file is read as text and cut into records by this SQL, not by
    DuckDB's CSV sniffer: header on line 1, the delimiter of var
    raw_csv_delimiter (`,`, `;` or `tab`), `"` quotes with `""` inside a quoted
    field, no comment character, lines ending in \n or \r\n, no line size limit.
    A record is one line, or the lines a quoted field spans; a line that is not a
    record of exactly the header's number of fields (too many or too few fields,
    an unterminated quote, a blank line) becomes one row of its own with
    _raw_line set. Files of var raw_csv_encoding utf-16 or latin-1 are read by
    DuckDB's CSV reader with the same options pinned (raw_csv_select_transcoded). -#}

{#- The field delimiter of raw CSV files, from var raw_csv_delimiter. -#}
{% macro raw_csv_delimiter() %}
    {%- set delimiter = var('raw_csv_delimiter') | string -%}
    {{ return('\t' if delimiter in ['tab', '\t'] else delimiter) }}
{% endmacro %}

{#- The delimiter as written in an RE2 pattern. -#}
{% macro raw_csv_delimiter_pattern() %}
    {{ return('\\t' if raw_csv_delimiter() == '\t' else raw_csv_delimiter()) }}
{% endmacro %}

{#- CTEs file_blob and file_text: the file's bytes and its text (byte order mark
    removed). Text that is not UTF-8 stops the query naming the file and the
    first line holding a byte that is not UTF-8. -#}
{% macro raw_csv_text_ctes(raw_file) -%}
file_blob as materialized (
    select
        content,
        try(decode(content)) as decoded
    from read_blob('{{ raw_glob_literal(raw_file) }}')
),

file_text as materialized (
    select
        case
            when decoded is null then error(
                'Raw file {{ raw_file | replace("'", "''") }} is not utf-8 encoded:'
                || ' line ' || cast(list_position(list_transform(
                    list_zip(
                        string_split(decode(content, 'replace'), chr(10)),
                        string_split(decode(content, 'ignore'), chr(10))
                    ),
                    lambda pair: pair[1] = pair[2]
                ), false) as varchar)
                || ' holds a byte that is not UTF-8. Save the file as UTF-8, or set'
                || ' var raw_csv_encoding to its encoding (utf-16 or latin-1).'
            )
            when starts_with(decoded, chr(65279)) then decoded[2:]
            else decoded
        end as content
    from file_blob
)
{%- endmacro %}

{#- RE2 pattern of a whole record of field_count fields none of which holds the
    delimiter: such a line splits exactly at every delimiter. -#}
{% macro raw_csv_simple_record_pattern(field_count) -%}
    {%- set d = raw_csv_delimiter_pattern() -%}
    {%- set field = '(?:"(?:[^"' ~ d ~ ']|"")*"|[^"' ~ d ~ ']*)' -%}
    {{- field ~ ('(?:' ~ d ~ field ~ '){' ~ (field_count - 1) ~ '}' if field_count > 1) -}}
{%- endmacro %}

{#- SQL: the fields of a record's text, still quoted: a field is a quoted field
    ("..." with "" inside) or text without quotes, after the start or a
    delimiter. A record is well formed when its fields joined by the delimiter
    give its text back (raw_csv_is_record). -#}
{% macro raw_csv_tokens(text) -%}
    {%- set d = raw_csv_delimiter_pattern() -%}
    regexp_extract_all({{ text }}, '(?:^|{{ d }})("(?:[^"]|"")*"|[^"{{ d }}]*)', 1)
{%- endmacro %}

{% macro raw_csv_is_record(tokens, text, field_count) -%}
    (
        len({{ tokens }}) = {{ field_count }}
        and array_to_string({{ tokens }}, '{{ raw_csv_delimiter() }}') = {{ text }}
        and trim({{ text }}) != ''
    )
{%- endmacro %}

{#- SQL: a field's value: a quoted field without its quotes ("" -> "), any
    other text as written; an empty field (quoted or not) is null, as DuckDB's
    CSV reader gave it. -#}
{% macro raw_csv_unquoted(field) -%}
    nullif(
        case
            when starts_with({{ field }}, '"')
                then replace({{ field }}[2:-2], '""', '"')
            else {{ field }}
        end,
        ''
    )
{%- endmacro %}

{#- The names in the header (line 1) of a raw CSV file, as written. -#}
{% macro raw_csv_header(raw_file) %}
    {%- if var('raw_csv_encoding') != 'utf-8' -%}
        {{ return(run_query(
            'describe select * from ' ~ raw_csv_transcoding_reader(raw_file)
        ).columns[0].values()) }}
    {%- endif -%}
    {%- set header_sql -%}
        with

        {{ raw_csv_text_ctes(raw_file) }},

        first_line as (
            select
                case
                    when strpos(content, chr(10)) = 0 then content
                    else left(content, strpos(content, chr(10)) - 1)
                end as line
            from file_text
        ),

        header_line as (
            select
                case
                    when ends_with(line, chr(13)) then line[:-2] else line
                end as line
            from first_line
        ),

        tokens as (
            select
                line,
                {{ raw_csv_tokens('line') }} as tokens
            from header_line
        ),

        names as (
            select
                array_to_string(tokens, '{{ raw_csv_delimiter() }}') = line
                    as is_header,
                line,
                unnest(tokens) as token,
                generate_subscripts(tokens, 1) as position
            from tokens
        )

        select
            is_header,
            line,
            coalesce({{ raw_csv_unquoted('token') }}, '') as name
        from names
        order by position
    {%- endset -%}
    {%- set header = run_query(header_sql) -%}
    {%- if header.rows | length > 0 and not header.columns[0].values()[0] -%}
        {{ exceptions.raise_compiler_error(
            "Raw file " ~ raw_file ~ ": its header (line 1) is not a CSV line"
            ~ " delimited by '" ~ var('raw_csv_delimiter') ~ "' with \" quotes: "
            ~ header.columns[1].values()[0][:200] ~ ". Fix the header, or set var"
            ~ " raw_csv_delimiter (, ; or tab) to the file's delimiter."
        ) }}
    {%- endif -%}
    {{ return(header.columns[2].values()) }}
{% endmacro %}

{#- The raw view of a UTF-8 CSV file. field_count: the header's number of
    fields; fields: (contract column, 1-based position in the header) pairs.
    Lines matching the simple pattern (every record of a plain export) are split
    at each delimiter; the others (rare) are tokenised by a regular expression,
    and lines between two lines with an odd number of quotes are joined into one
    record when that gives a well-formed record (a quoted field over several
    lines), else each stays a row of its own. -#}
{% macro raw_csv_records(raw_file, field_count, fields) -%}
    {%- set d = raw_csv_delimiter() -%}
    with

    {{ raw_csv_text_ctes(raw_file) }},

    file_lines as materialized (
        select string_split(content, chr(10)) as lines
        from file_text
    ),

    physical_lines as (
        select
            unnest(lines) as line,
            generate_subscripts(lines, 1) as line_number,
            len(lines) as last_line_number
        from file_lines
    ),

    {# The text after the last \n is a line unless it is empty. #}
    data_lines as (
        select
            line_number,
            line,
            case
                when ends_with(line, chr(13)) then line[:-2] else line
            end as line_text
        from physical_lines
        where
            line_number > 1
            and not (line_number = last_line_number and line = '')
    ),

    checked_lines as (
        select
            *,
            regexp_full_match(
                line_text, '{{ raw_csv_simple_record_pattern(field_count) }}'
            ) as is_simple
        from data_lines
    ),

    odd_quote_lines as (
        select
            line_number,
            row_number() over (order by line_number) as odd_rank
        from checked_lines
        where
            not is_simple
            and (length(line) - length(replace(line, '"', ''))) % 2 = 1
    ),

    {# An opening and the next closing line with an odd number of quotes. #}
    quoted_spans as (
        select
            min(line_number) as span_start,
            max(line_number) as span_end
        from odd_quote_lines
        group by (odd_rank + 1) // 2
        having count(*) = 2
    ),

    span_records as (
        select
            quoted_spans.span_start,
            count(*) as line_count,
            string_agg(checked_lines.line, chr(10) order by checked_lines.line_number)
                as record_text
        from checked_lines
        inner join quoted_spans
            on checked_lines.line_number
            between quoted_spans.span_start and quoted_spans.span_end
        group by quoted_spans.span_start
    ),

    span_texts as (
        select
            span_start,
            line_count,
            case
                when ends_with(record_text, chr(13)) then record_text[:-2]
                else record_text
            end as record_text
        from span_records
    ),

    span_tokens as (
        select
            *,
            {{ raw_csv_tokens('record_text') }} as tokens
        from span_texts
    ),

    good_spans as (
        select *
        from span_tokens
        where {{ raw_csv_is_record('tokens', 'record_text', field_count) }}
    ),

    single_lines as (
        select checked_lines.*
        from checked_lines
        left join good_spans
            on checked_lines.line_number
            between good_spans.span_start
            and good_spans.span_start + good_spans.line_count - 1
        where good_spans.span_start is null
    ),

    single_records as (
        select
            line_number as record_line,
            1 as line_count,
            line_text as record_text,
            is_simple,
            case
                when is_simple then string_split(line_text, '{{ d }}')
                else {{ raw_csv_tokens('line_text') }}
            end as tokens
        from single_lines
    ),

    records as (
        select
            record_line,
            line_count,
            record_text,
            is_simple
            or {{ raw_csv_is_record('tokens', 'record_text', field_count) }}
                as is_record,
            tokens
        from single_records
        union all
        select
            span_start,
            line_count,
            record_text,
            true,
            tokens
        from good_spans
    )

    select
        {%- for column, position in fields %}
        case
            when is_record then {{ raw_csv_unquoted('tokens[' ~ position ~ ']') }}
        end as {{ column }},
        {%- endfor %}
        '{{ raw_file | replace("'", "''") }}' as _source_file,
        cast(record_line as bigint) as _source_row,
        cast(line_count as bigint) as _source_lines,
        case when not is_record then record_text end as _raw_line
    from records
{%- endmacro %}

{#- DuckDB's CSV reader of a UTF-8 file with every option pinned: the header's
    names as columns, nothing skipped, no comment character, strict RFC 4180
    records. ignore_errors: skip malformed records instead of stopping. -#}
{% macro raw_csv_plain_reader(raw_file, names, ignore_errors) -%}
    read_csv(
        '{{ raw_glob_literal(raw_file) }}',
        header = true,
        auto_detect = false,
        columns = {
            {%- for name in names %}
            '{{ name | replace("'", "''") }}': 'varchar'{{ ',' if not loop.last }}
            {%- endfor %}
        },
        delim = '{{ raw_csv_delimiter() }}',
        quote = '"',
        escape = '"',
        comment = '',
        skip = 0,
        strict_mode = true,
        null_padding = false,
        ignore_errors = {{ 'true' if ignore_errors else 'false' }},
        encoding = 'utf-8'
    )
{%- endmacro %}

{#- Whether DuckDB's CSV reader reads the file as one record per line, each of
    the header's fields: it skips no line (its count of records, malformed ones
    skipped, equals the file's count of data lines) and no lone carriage return
    splits a line. Then the fast raw_csv_plain_select gives what raw_csv_records
    would (tests/test_raw_files.py compares them); else the exact reader is
    needed. Also stops on text that is not UTF-8 (raw_csv_text_ctes). -#}
{% macro raw_csv_is_plain(raw_file, names) %}
    {%- set plain_sql -%}
        with

        {{ raw_csv_text_ctes(raw_file) }},

        file_lines as (
            select
                {{ raw_csv_data_line_count('content') }} as data_lines,
                contains(content, chr(13))
                and contains(
                    replace(content, chr(13) || chr(10), chr(10)), chr(13)
                ) as has_lone_carriage_return
            from file_text
        ),

        reader_records as (
            select count(*) as records
            from {{ raw_csv_plain_reader(raw_file, names, true) }}
        )

        select
            file_lines.data_lines = reader_records.records
            and not file_lines.has_lone_carriage_return
        from file_lines
        cross join reader_records
    {%- endset -%}
    {{ return(run_query(plain_sql).columns[0].values()[0] == true) }}
{% endmacro %}

{#- The raw view of a plain UTF-8 CSV file (raw_csv_is_plain): DuckDB's reader,
    the record of line n + 1 is its n-th row. -#}
{% macro raw_csv_plain_select(raw_file, names, fields) %}
    {%- set sql -%}
        select
            {%- for column, position in fields %}
            nullif(
                {{ adapter.quote(names[position - 1]) }}, ''
            ) as {{ column }},
            {%- endfor %}
            '{{ raw_file | replace("'", "''") }}' as _source_file,
            cast(row_number() over () + 1 as bigint) as _source_row,
            cast(1 as bigint) as _source_lines,
            cast(null as varchar) as _raw_line
        from {{ raw_csv_plain_reader(raw_file, names, false) }}
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}

{#- SQL: the number of data lines (after the header) of a file's text: its
    newlines, plus one for a last line without a newline. -#}
{% macro raw_csv_data_line_count(content) -%}
    greatest(
        length({{ content }}) - length(replace({{ content }}, chr(10), ''))
        + case
            when {{ content }} = '' or ends_with({{ content }}, chr(10)) then 0
            else 1
        end
        - 1,
        0
    )
{%- endmacro %}

{#- DuckDB's CSV reader with every dialect option pinned, for files in
    var raw_csv_encoding utf-16 or latin-1 (the exact reader needs UTF-8). -#}
{% macro raw_csv_transcoding_reader(raw_file) %}
    {{ return(
        "read_csv('" ~ raw_glob_literal(raw_file) ~ "', header = true,"
        ~ " all_varchar = true, delim = '" ~ raw_csv_delimiter() ~ "',"
        ~ " quote = '\"', escape = '\"', comment = '', skip = 0,"
        ~ " strict_mode = true, null_padding = false, ignore_errors = false,"
        ~ " encoding = '" ~ var('raw_csv_encoding') ~ "')"
    ) }}
{% endmacro %}

{#- The raw view of a utf-16 or latin-1 CSV file: records are numbered from
    line 2 in file order (exact unless a quoted field spans lines); a malformed
    line stops the build with DuckDB's message. -#}
{% macro raw_csv_select_transcoded(raw_file, columns, header) %}
    {%- set sql -%}
        select
            {%- for column in columns %}
            cast({{ adapter.quote(header[column]) }} as varchar) as {{ column }},
            {%- endfor %}
            '{{ raw_file | replace("'", "''") }}' as _source_file,
            row_number() over () + 1 as _source_row,
            1 as _source_lines,
            cast(null as varchar) as _raw_line
        from {{ raw_csv_transcoding_reader(raw_file) }}
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}

{#- SQL: the number of data lines of a raw file counted from its text alone
    (newlines, not records: independent of the CSV reader), or of rows from the
    Parquet footer; null for utf-16 and latin-1 files. The raw view's
    _source_lines must add up to it (reconciles_with_source). -#}
{% macro raw_file_data_lines(raw_file) -%}
    {%- if raw_file.endswith('.parquet') -%}
        (
            select sum(num_rows)
            from parquet_file_metadata('{{ raw_glob_literal(raw_file) }}')
        )
    {%- elif var('raw_csv_encoding') != 'utf-8' -%}
        cast(null as bigint)
    {%- else -%}
        (
            with

            {{ raw_csv_text_ctes(raw_file) }}

            select {{ raw_csv_data_line_count('content') }}
            from file_text
        )
    {%- endif -%}
{%- endmacro %}
