{#- Parsers from raw text to typed values. Each returns null when the text does not
    parse, so staging can reject the row with a reason instead of failing the file.
    DuckDB implementations first; the default__ ones (PostgreSQL, Spark) accept the
    same forms of the raw input contract, gated by regular expressions, so every
    engine parses a contract value to the same value (macros/parsing/portable.sql).
    Exotic forms DuckDB also accepts ('infinity', '1_000', zone names) parse on
    DuckDB only (README, Running on PostgreSQL or Spark). -#}

{#- Dates as 2026-03-05, 2026/3/5, 20260305, 2026.3.5 or any timestamp (its date
    in the warehouse time zone). -#}
{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date')(column)) }}
{%- endmacro %}

{#- The first branch is a fast path for plain dates (DuckDB's own cast, about 5x
    faster than try_strptime); longer text may carry a time zone and goes the slow
    way, through the session time zone. -#}
{% macro duckdb__parse_date(column) -%}
    coalesce(
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
        cast({{ parse_timestamp(column) }} as date)
    )
{%- endmacro %}

{% macro default__parse_date(column) -%}
    cast(
        {{ timestamp_from_iso(iso_timestamp_text(clean_text(column), dotted_date=true)) }}
        as date
    )
{%- endmacro %}

{#- Timestamps in ISO form with or without a zone offset (converted to the session
    time zone, UTC unless configured), or 2026/3/5 10:00:00. -#}
{% macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp')(column)) }}
{%- endmacro %}

{#- The first branch is a fast path: `2026-03-05 10:00:00` (19 characters,
    colons at 14 and 17) has no room for a zone, so it is read as the wall-clock
    time it is (DuckDB's timestamp cast, 4x faster than the time-zone-aware one;
    the same result but for local times a daylight-saving jump skips). -#}
{% macro duckdb__parse_timestamp(column) -%}
    coalesce(
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
{%- endmacro %}

{% macro default__parse_timestamp(column) -%}
    {{ timestamp_from_iso(iso_timestamp_text(clean_text(column))) }}
{%- endmacro %}

{#- Decimal amounts; thousands separators, currency signs and spaces removed. -#}
{% macro parse_decimal(column) -%}
    {{ return(adapter.dispatch('parse_decimal')(column)) }}
{%- endmacro %}

{#- The regular expression only runs when the plain cast fails (it strips nothing
    a plain number contains; 10x faster on clean amounts). -#}
{% macro duckdb__parse_decimal(column) -%}
    coalesce(
        try_cast({{ clean_text(column) }} as decimal(18, 4)),
        try_cast(
            regexp_replace({{ clean_text(column) }}, '[,¥￥$ ]', '', 'g')
            as decimal(18, 4)
        )
    )
{%- endmacro %}

{% macro default__parse_decimal(column) -%}
    {{ decimal_from_text(regex_replace_all(clean_text(column), '[,¥￥$ ]', '')) }}
{%- endmacro %}

{#- Whole numbers; '12' and '12.0' parse, '12.5' and 'abc' do not. -#}
{% macro parse_integer(column) -%}
    {{ return(adapter.dispatch('parse_integer')(column)) }}
{%- endmacro %}

{% macro duckdb__parse_integer(column) -%}
    case
        when try_cast({{ clean_text(column) }} as decimal(18, 4))
            = floor(try_cast({{ clean_text(column) }} as decimal(18, 4)))
            then cast(try_cast({{ clean_text(column) }} as decimal(18, 4)) as bigint)
    end
{%- endmacro %}

{% macro default__parse_integer(column) -%}
    {%- set number = decimal_from_text(clean_text(column)) -%}
    case
        when {{ number }} = floor({{ number }}) then cast({{ number }} as bigint)
    end
{%- endmacro %}

{#- A double-precision float type on every adapter (dbt.type_float() is 4-byte
    FLOAT on DuckDB). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}

{% macro spark__type_double() -%}double{%- endmacro %}
