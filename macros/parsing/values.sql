{#- Parsers from raw text to typed values. Each returns null when the text does not
    parse, so staging can reject the row with a reason instead of failing the file.
    DuckDB implementations first; the default__ ones (PostgreSQL, Spark) accept the
    same forms of the raw input contract, gated by regular expressions, so every
    engine parses a contract value to the same value (macros/parsing/
    iso_timestamp_text.sql, the casts in macros/cross_db/). Exotic forms DuckDB
    also accepts ('1_000', zone names) parse on DuckDB only
    (docs/engines.md). -#}

{#- Under var lint_short_parsers (true only in .sqlfluff's templater context) a
    parser renders as one cast of its column: sqlfluff discards findings inside
    macro output anyway (ignore_templated_areas), and walking the parsers' 5 to
    30 thousand characters of expansion was most of the lint's time. The
    models' own SQL is linted as before (DECISIONLOG 2026-12-03). -#}
{% macro lint_short_parser(column, type) -%}
    {{ return('try_cast(' ~ column ~ ' as ' ~ type ~ ')') }}
{%- endmacro %}

{#- Dates as 2026-03-05, 2026/3/5, 20260305, 2026.3.5 or any timestamp (its date
    in the warehouse time zone), with a four-digit year within the plausible years
    (vars raw_min_year .. raw_max_year): a two-digit year (26-06-01, 6/1/26) or an
    implausible one (0026, 2206) is null, never guessed. -#}
{% macro parse_date(column, typed={}) -%}
    {%- if var('lint_short_parsers') is sameas true -%}
        {{ return(lint_short_parser(column, 'date')) }}
    {%- endif -%}
    {%- if column in typed -%}
        {{ within_plausible_years(typed_temporal(column, typed[column], 'date'), 'date') }}
    {%- else -%}
        {{ within_plausible_years(adapter.dispatch('parse_date')(column), 'date') }}
    {%- endif -%}
{%- endmacro %}

{#- typed: raw_typed_columns of the model's raw table. A column in it is read from
    the raw view's _typed_<column> as it is (a typed value cannot be malformed):
    only the checks that can still fail apply, as they do to parsed text
    (plausible years here; null, negative, out of range and future dates in the
    models). A date or timestamp becomes the contract's type as the text parser
    would read its text: a TIMESTAMP WITH TIME ZONE in the session time zone
    (WAREHOUSE_TIMEZONE), a date at midnight, a timestamp's date. -#}
{% macro typed_temporal(column, column_type, type) -%}
    {%- set value = '_typed_' ~ column -%}
    {%- set value_type = column_type -%}
    {%- if column_type == 'TIMESTAMP WITH TIME ZONE' -%}
        {%- set value = 'cast(' ~ value ~ ' as timestamp)' -%}
        {%- set value_type = 'TIMESTAMP' -%}
    {%- endif -%}
    {%- if value_type == type | upper -%}
        {{ value }}
    {%- else -%}
        cast({{ value }} as {{ type }})
    {%- endif -%}
{%- endmacro %}

{#- A typed number as parse_decimal reads its text: decimal(18, 4), null when it
    does not fit or is not a number (NaN, infinity). -#}
{% macro typed_decimal(column) -%}
    try_cast(_typed_{{ column }} as decimal(18, 4))
{%- endmacro %}

{#- The value when it lies within the plausible years (vars raw_min_year ..
    raw_max_year, validated to 1000..9999: a year written with fewer or more than
    four digits is outside), else null. Every engine reads text into a year only
    from its leading digits, so with the first digit non-zero (checked on DuckDB,
    whose casts read any number of digits; the patterns of the other engines take
    exactly four) the text's year has four digits.
    The value is written once (it is a long expression, parse_date holds
    parse_timestamp): greatest() lifts a value below the range to the last
    instant before it (`below`), least() lowers one above it to the first instant
    after it (`above`), and each nullif turns that bound into null; a null value
    becomes `below` and then null too (greatest and least skip nulls). -#}
{% macro within_plausible_years(value, type) -%}
    {%- set last_implausible_year = var('raw_min_year') | int - 1 -%}
    {%- if type == 'date' -%}
        {%- set below = '%04d-12-31' | format(last_implausible_year) -%}
    {%- else -%}
        {%- set below = '%04d-12-31 23:59:59.999999' | format(last_implausible_year) -%}
    {%- endif -%}
    {%- set above = '%04d-01-01' | format(var('raw_max_year') | int + 1) -%}
    nullif(
        least(
            nullif(
                greatest({{ value }}, cast('{{ below }}' as {{ type }})),
                cast('{{ below }}' as {{ type }})
            ),
            cast('{{ above }}' as {{ type }})
        ),
        cast('{{ above }}' as {{ type }})
    )
{%- endmacro %}

{#- DuckDB: true when the text starts with a digit 1..9 (a byte comparison, as
    cheap as it gets): rejects leading zeros (02026-06-01) and words DuckDB
    reads as dates (epoch, infinity). -#}
{% macro starts_with_non_zero_digit(text) -%}
    ({{ text }} >= '1' and {{ text }} < ':')
{%- endmacro %}

{#- The first branch is a fast path for plain dates (DuckDB's own cast, about 5x
    faster than try_strptime); longer text may carry a time zone and goes the slow
    way, through the session time zone. -#}
{% macro duckdb__parse_date(column) -%}
    case
        when {{ starts_with_non_zero_digit(clean_text(column)) }}
            then coalesce(
                case
                    when length({{ clean_text(column) }}) <= 10
                        then try_cast({{ clean_text(column) }} as date)
                end,
                cast(
                    try_strptime(
                        {{ clean_text(column) }},
                        ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y.%m.%d']
                    ) as date
                ),
                cast({{ adapter.dispatch('parse_timestamp')(column) }} as date)
            )
    end
{%- endmacro %}

{% macro default__parse_date(column) -%}
    cast(
        {{ timestamp_from_iso(iso_timestamp_text(clean_text(column), dotted_date=true)) }}
        as date
    )
{%- endmacro %}

{#- Timestamps in ISO form with or without a zone offset (converted to the session
    time zone, UTC unless configured), or 2026/3/5 10:00:00; the year as for
    parse_date (of the converted value). -#}
{% macro parse_timestamp(column, typed={}) -%}
    {%- if var('lint_short_parsers') is sameas true -%}
        {{ return(lint_short_parser(column, 'timestamp')) }}
    {%- endif -%}
    {%- if column in typed -%}
        {{ within_plausible_years(
            typed_temporal(column, typed[column], 'timestamp'), 'timestamp') }}
    {%- else -%}
        {{ within_plausible_years(
            adapter.dispatch('parse_timestamp')(column), 'timestamp') }}
    {%- endif -%}
{%- endmacro %}

{#- The first branch is a fast path: `2026-03-05 10:00:00` (19 characters,
    colons at 14 and 17) has no room for a zone, so it is read as the wall-clock
    time it is (DuckDB's timestamp cast, 4x faster than the time-zone-aware one;
    the same result but for local times a daylight-saving jump skips). -#}
{% macro duckdb__parse_timestamp(column) -%}
    case
        when {{ starts_with_non_zero_digit(clean_text(column)) }}
            then coalesce(
                case
                    when
                        length({{ clean_text(column) }}) = 19
                        and ({{ clean_text(column) }})[14] = ':'
                        and ({{ clean_text(column) }})[17] = ':'
                        then try_cast({{ clean_text(column) }} as timestamp)
                end,
                cast(try_cast({{ clean_text(column) }} as timestamptz) as timestamp),
                try_strptime(
                    {{ clean_text(column) }},
                    ['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d', '%Y%m%d']
                )
            )
    end
{%- endmacro %}

{% macro default__parse_timestamp(column) -%}
    {{ timestamp_from_iso(iso_timestamp_text(clean_text(column))) }}
{%- endmacro %}

{#- Decimal amounts, read with the file's decimal separator (var
    raw_decimal_separator, `.` or `,`): the other one is only a thousands
    separator between valid groups of three digits (with `.`: 1,234.56 and 12,345
    parse, 1715,30 and 5.285,14 and 1,2,3 do not; with `,` the mirror: 1.234,56,
    1715,30). Currency signs and spaces are removed. Ambiguous or broken text is
    null (bad_number), never guessed. -#}
{% macro parse_decimal(column, typed={}) -%}
    {%- if var('lint_short_parsers') is sameas true -%}
        {{ return(lint_short_parser(column, 'decimal(18, 4)')) }}
    {%- endif -%}
    {%- if column in typed -%}
        {{ return(typed_decimal(column)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('parse_decimal')(column)) }}
{%- endmacro %}

{#- The cleaned text with `.` as the decimal separator and `,` as the thousands
    one: under raw_decimal_separator `,` the two are swapped, so one grammar reads
    both. -#}
{% macro number_text(column) -%}
    {%- if var('raw_decimal_separator') == ',' -%}
        translate({{ clean_text(column) }}, ',.', '.,')
    {%- else -%}
        {{ clean_text(column) }}
    {%- endif -%}
{%- endmacro %}

{#- A number with thousands separators: a first group of 1 to 3 digits (not 0),
    then groups of exactly 3, then optional decimals. -#}
{% macro grouped_number_pattern() -%}
    ^[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+([.][0-9]*)?$
{%- endmacro %}

{#- The text without its thousands separators when they form valid groups; else
    unchanged (a comma left in it makes the cast fail). -#}
{% macro ungrouped_number(text) -%}
    case
        when {{ regex_matches(text, grouped_number_pattern()) }}
            then replace({{ text }}, ',', '')
        else {{ text }}
    end
{%- endmacro %}

{#- Currency signs and spaces removed. -#}
{% macro without_currency(text) -%}
    {{ regex_replace_all(text, '[¥￥$ ]', '') }}
{%- endmacro %}

{#- The plain cast first: the regular expressions only run when it fails (a plain
    number has nothing to strip; 10x faster on clean amounts). Each text the slow
    path derives is written once: DuckDB computes an expression written several
    times once for every row (common subexpressions), which would run the regular
    expressions on the amounts the plain cast reads. -#}
{% macro duckdb__parse_decimal(column) -%}
    coalesce(
        try_cast({{ number_text(column) }} as decimal(18, 4)),
        try_cast(
            {{ duckdb_ungrouped_number(without_currency(number_text(column))) }}
            as decimal(18, 4)
        )
    )
{%- endmacro %}

{#- DuckDB: ungrouped_number with the text written once: the text when it is a
    number with valid thousands groups, or has no comma at all ('' otherwise,
    which does not cast), without its commas. -#}
{% macro duckdb_ungrouped_number(text) -%}
    replace(
        regexp_extract({{ text }}, '^({{ grouped_number_pattern()[1:-1] }}|[^,]*)$'),
        ',',
        ''
    )
{%- endmacro %}

{% macro default__parse_decimal(column) -%}
    {{ decimal_from_text(ungrouped_number(without_currency(number_text(column)))) }}
{%- endmacro %}

{#- Whole numbers, with the separators of parse_decimal (no currency signs):
    '12', '12.0' and '1,200' parse, '12.5' and 'abc' do not. -#}
{% macro parse_integer(column, typed={}) -%}
    {%- if var('lint_short_parsers') is sameas true -%}
        {{ return(lint_short_parser(column, 'bigint')) }}
    {%- endif -%}
    {%- if column in typed -%}
        {%- set number = typed_decimal(column) -%}
        {{ return(
            'case when ' ~ number ~ ' = floor(' ~ number ~ ') then cast(' ~ number
            ~ ' as bigint) end'
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('parse_integer')(column)) }}
{%- endmacro %}

{% macro duckdb__parse_integer(column) -%}
    {%- set number -%}
        coalesce(
            try_cast({{ number_text(column) }} as decimal(18, 4)),
            try_cast({{ duckdb_ungrouped_number(number_text(column)) }} as decimal(18, 4))
        )
    {%- endset -%}
    case
        when {{ number }} = floor({{ number }}) then cast({{ number }} as bigint)
    end
{%- endmacro %}

{% macro default__parse_integer(column) -%}
    {%- set number = decimal_from_text(ungrouped_number(number_text(column))) -%}
    case
        when {{ number }} = floor({{ number }}) then cast({{ number }} as bigint)
    end
{%- endmacro %}
