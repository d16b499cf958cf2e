{#- Trimmed text, blank -> null. Besides spaces, tabs and newlines, strips at both
    ends the invisible characters copied text carries: the no-break space (U+00A0),
    the zero-width space, non-joiner and joiner (U+200B..U+200D), the byte order
    mark (U+FEFF) and the ideographic (full-width) space (U+3000) that Chinese
    input methods leave behind. Inside the text they stay. -#}
{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text')(column)) }}
{%- endmacro %}

{#- The code points clean_text strips, beyond the ASCII space, tab, newline and
    carriage return (one list for every engine). -#}
{% macro invisible_code_points() -%}
    {{ return([160, 8203, 8204, 8205, 65279, 12288]) }}
{%- endmacro %}

{#- The characters clean_text strips as one SQL text expression (chr() of each). -#}
{% macro trimmed_characters() -%}
    ' ' || chr(9) || chr(10) || chr(13) || {{ invisible_characters() }}
{%- endmacro %}

{#- The non-ASCII ones among them, as one SQL text expression. -#}
{% macro invisible_characters() -%}
    {%- for code_point in invisible_code_points() -%}
        chr({{ code_point }}){{ ' || ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro default__clean_text(column) -%}
    nullif(trim({{ column }}, {{ trimmed_characters() }}), '')
{%- endmacro %}

{#- Spark: chr() is ASCII only, so the other characters are literal escapes. -#}
{% macro spark__clean_text(column) -%}
    nullif(
        trim(
            both concat(
                ' ', chr(9), chr(10), chr(13),
                '{% for code_point in invisible_code_points() -%}
                    \u{{ '%04x' | format(code_point) }}
                {%- endfor %}'
            ) from {{ column }}
        ),
        ''
    )
{%- endmacro %}

{#- Same result; DuckDB's trim with a character set is slow (about 4x on 10 million
    rows), so it only runs when the first or last character may be one to strip.
    The first character is tested on bytes: text below '!' starts with a space or
    a control character (a superset of the ASCII ones to strip: trimming more rows
    changes nothing), and only text from chr(128) up starts with a non-ASCII
    character, whose first character is then extracted and looked up (few rows:
    nearly all raw values start with an ASCII character). The last character is
    extracted (text[-1], one UTF-8 decode) and looked up in the set: one lookup
    for the ten characters cost less than the five ends_with tests of the four
    ASCII characters and the ideographic space before (10 million ids on one
    core: 2.0 s against 3.0 s; ten ends_with tests would take 6.5 s). -#}
{% macro duckdb__clean_text(column) -%}
    nullif(
        case
            when
                ({{ column }}) < '!'
                or (
                    ({{ column }}) >= chr(128)
                    and contains({{ invisible_characters() }}, ({{ column }})[1])
                )
                or contains({{ trimmed_characters() }}, ({{ column }})[-1])
                then trim({{ column }}, {{ trimmed_characters() }})
            else {{ column }}
        end,
        ''
    )
{%- endmacro %}

{#- The key a raw code is looked up by in the alias seeds: trimmed, lower case. -#}
{% macro alias_key(column) -%}
    lower({{ clean_text(column) }})
{%- endmacro %}

{#- A business key or a reference to one (customer_id, order_id, promotion_id,
    interaction_id): clean_text, and with var raw_keys_case_insensitive folded to
    upper case, so that `c001` and `C001` are one key in dedupe, joins and orphan
    checks alike (the stored key is then the upper-case form). -#}
{% macro clean_key(column) -%}
    {%- if var('raw_keys_case_insensitive') is sameas true -%}
        upper({{ clean_text(column) }})
    {%- else -%}
        {{ clean_text(column) }}
    {%- endif -%}
{%- endmacro %}

{#- alias -> code rows of one domain of the code_aliases seed. -#}
{% macro code_aliases(domain) -%}
    select alias, code from {{ ref('code_aliases') }} where domain = '{{ domain }}'
{%- endmacro %}

{#- Salted hash of a PII value (salt from env WAREHOUSE_PII_SALT, never stored). -#}
{% macro hash_pii(column) -%}
    {{ return(adapter.dispatch('hash_pii')(column)) }}
{%- endmacro %}

{% macro default__hash_pii(column) -%}
    {{ dbt.hash(dbt.concat(["'" ~ env_var('WAREHOUSE_PII_SALT', '') ~ "'", column])) }}
{%- endmacro %}

{% macro duckdb__hash_pii(column) -%}
    sha256('{{ env_var("WAREHOUSE_PII_SALT", "") }}' || {{ column }})
{%- endmacro %}

{#- The same hex SHA-256 as on DuckDB, so hashes agree across engines. -#}
{% macro postgres__hash_pii(column) -%}
    encode(
        sha256(convert_to('{{ env_var("WAREHOUSE_PII_SALT", "") }}' || {{ column }}, 'UTF8')),
        'hex'
    )
{%- endmacro %}

{% macro spark__hash_pii(column) -%}
    sha2('{{ env_var("WAREHOUSE_PII_SALT", "") }}' || {{ column }}, 256)
{%- endmacro %}
