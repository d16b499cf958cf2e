{#- Lists the keys of a column (and optionally of the column it refers to) that are
    spelt in several letter cases, e.g. C001 and c001: one row per key folded to
    upper case, with every spelling. Such keys are different keys unless var
    raw_keys_case_insensitive folds them (then the list is empty). Used with
    severity warn and store_failures, so the build log names the table to read.

    Two spellings that differ in case only cannot both be all upper case, so the
    keys equal to their upper-case form (nearly all of them) are filtered out
    first, without hashing every key. The keys are read twice (two CTEs of the
    same text, each read once: nothing is held in memory). -#}
{% test keys_differ_only_in_case(model, column_name, compared_to=none, compared_column=none) %}
{%- set sources = [(model, column_name)] -%}
{%- if compared_to is not none -%}
    {%- do sources.append((compared_to, compared_column or column_name)) -%}
{%- endif -%}
{%- set spellings_sql -%}
    {%- for relation, column in sources %}
    select {{ column }} as key_value
    from {{ relation }}
    where {{ column }} is not null
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
{%- endset %}

with

spellings as (
    {{ spellings_sql }}
),

folded_candidates as (
    select distinct upper(key_value) as folded_key
    from spellings
    where key_value != upper(key_value)
),

candidate_spellings as (
    {{ spellings_sql }}
),

case_spellings as (
    select distinct
        folded_candidates.folded_key,
        candidate_spellings.key_value
    from candidate_spellings
    inner join folded_candidates
        on upper(candidate_spellings.key_value) = folded_candidates.folded_key
),

case_variants as (
    select
        folded_key,
        count(*) as spelling_count,
        {{ dbt.listagg('key_value', "', '", 'order by key_value') }} as spellings
    from case_spellings
    group by folded_key
    having count(*) > 1
)

select * from case_variants

{% endtest %}
