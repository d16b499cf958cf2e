{#- The rule each build used for every active tag, one row per (as_of_date,
    tag): the sha256 of the tag's catalogue definition (source, rule and values,
    from tag_rule_definitions(), generated) and the values this build gave the
    vars it reads; fingerprint is the md5 of both. Two builds whose fingerprints
    differ used a different rule, so customer_tag_changes can say a change was
    caused by the rule, not the customer. Kept across builds like tag_health
    (history_slice_config: delete+insert on as_of_date, insert_overwrite of
    the as_of_date partition on Spark). -#}
{{ config(on_schema_change='append_new_columns', **history_slice_config()) }}

with

{%- set rows = [] %}
{%- for tag, definition in tag_rule_definitions().items() %}
    {%- set rule_vars = [] %}
    {%- for name in definition['vars'] %}
        {%- do rule_vars.append(name ~ '=' ~ var(name)) %}
    {%- endfor %}
    {%- set rule_vars = rule_vars | join(';') %}
    {%- set fingerprint = local_md5(definition['sha256'] ~ '|' ~ rule_vars) %}
    {%- do rows.append((tag, definition['sha256'], rule_vars, fingerprint)) %}
{%- endfor %}

definitions as (
    {% for tag, sha256, rule_vars, fingerprint in rows -%}
        select
            {{ as_of_date() }} as as_of_date,
            '{{ tag }}' as tag,
            '{{ sha256 }}' as definition_sha256,
            '{{ rule_vars }}' as rule_vars,
            '{{ fingerprint }}' as fingerprint
        {% if not loop.last -%} union all {%- endif %}
    {% endfor %}
)

select * from definitions
