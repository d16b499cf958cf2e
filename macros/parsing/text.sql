{#- Trimmed text, blank -> null. Also strips tabs, newlines and the ideographic
    (full-width) space that Chinese input methods leave behind. -#}
{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text')(column)) }}
{%- endmacro %}

{% macro default__clean_text(column) -%}
    nullif(trim({{ column }}, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)), '')
{%- endmacro %}

{#- Spark: chr() is ASCII only, so the ideographic space is a literal escape. -#}
{% macro spark__clean_text(column) -%}
    nullif(
        trim(both concat(' ', chr(9), chr(10), chr(13), '\u3000') from {{ column }}),
        ''
    )
{%- endmacro %}

{#- Same result; DuckDB's trim with a character set is slow (about 4x on 10 million
    rows), so it only runs when the first or last character is one to strip. -#}
{% macro duckdb__clean_text(column) -%}
    {%- set strip = "[' ', chr(9), chr(10), chr(13), chr(12288)]" -%}
    nullif(
        case
            when
                list_contains({{ strip }}, ({{ column }})[1])
                or list_contains({{ strip }}, ({{ column }})[-1])
                then trim({{ column }}, ' ' || chr(9) || chr(10) || chr(13) || chr(12288))
            else {{ column }}
        end,
        ''
    )
{%- endmacro %}

{#- The key a raw code is looked up by in the alias seeds: trimmed, lower case. -#}
{% macro alias_key(column) -%}
    lower({{ clean_text(column) }})
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
