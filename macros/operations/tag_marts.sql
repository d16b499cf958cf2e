{#- All tag names, in mart order. -#}
{% macro tag_names() %}
    {%- set names = [] -%}
    {%- for tags in tag_marts().values() -%}
        {%- do names.extend(tags) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}

{#- The select a tag snapshot records: key, build date and tag columns only (not the
    metrics, which change with every build and would be stale in old versions). A
    deprecated tag's column is null: its last value leaves with one new version. -#}
{% macro tag_snapshot_select(mart_relation, mart) %}
    {%- set columns = [] -%}
    {%- for tag in tag_history_marts()[mart] -%}
        {%- if tag in tag_marts()[mart] -%}
            {%- do columns.append(tag) -%}
        {%- elif tag in deprecated_integer_tags() -%}
            {%- do columns.append('cast(null as integer) as ' ~ tag) -%}
        {%- else -%}
            {%- do columns.append('cast(null as varchar) as ' ~ tag) -%}
        {%- endif -%}
    {%- endfor %}
    select
        customer_id,
        as_of_date,
        {{ columns | join(',\n        ') }}
    from {{ mart_relation }}
{% endmacro %}

{#- True when a relation exists in the warehouse (false while parsing). -#}
{% macro relation_exists(relation) %}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier,
    ) -%}
    {{ return(found is not none) }}
{% endmacro %}

{#- `union all` of one select per tag of every mart: the given columns, the mart,
    the tag and the tag's value as text (value_alias), then extra_columns (where
    `{tag}` stands for the tag's name), from the relation or CTE named
    <mart><suffix>. Unpivots marts and snapshots into one row per tag. -#}
{% macro union_tag_columns(columns, value_alias, suffix='', extra_columns=[], marts=none) %}
    {%- set selects = [] -%}
    {%- for mart, tags in (marts or tag_marts()).items() -%}
        {%- for tag in tags -%}
            {%- set extra = [] -%}
            {%- for column in extra_columns -%}
                {%- do extra.append(", " ~ column | replace('{tag}', tag)) -%}
            {%- endfor -%}
            {%- do selects.append(
                "select " ~ columns | join(", ") ~ ", '" ~ mart ~ "' as mart, '"
                ~ tag ~ "' as tag, cast(" ~ tag ~ " as varchar) as " ~ value_alias
                ~ extra | join("") ~ " from " ~ mart ~ suffix
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(selects | join("\n    union all\n    ")) }}
{% endmacro %}

{#- `select * from` the tag snapshot of a mart, or an empty select of its columns
    when the snapshot does not exist yet (`dbt run` before the first snapshot). -#}
{% macro tag_snapshot_or_empty(mart) %}
    {{- return(snapshot_or_empty(mart ~ '_snapshot', tag_history_marts()[mart])) -}}
{% endmacro %}

{#- A snapshot's rows, or none while it does not exist yet (`dbt run` before the
    first `dbt snapshot`): customer_id, as_of_date, dbt_valid_from and the text
    columns it keeps. -#}
{% macro snapshot_or_empty(snapshot_name, text_columns) %}
    {%- set snapshot = ref(snapshot_name) -%}
    {%- if relation_exists(snapshot) or not execute -%}
        {{ return('select * from ' ~ snapshot) }}
    {%- endif -%}
    {%- set columns = [
        'cast(null as varchar) as customer_id',
        'cast(null as date) as as_of_date',
        'cast(null as timestamp) as dbt_valid_from',
    ] -%}
    {%- for column in text_columns -%}
        {%- do columns.append('cast(null as varchar) as ' ~ column) -%}
    {%- endfor -%}
    {{ return('select ' ~ columns | join(', ') ~ ' where false') }}
{% endmacro %}

{#- One column per tag from a long (customer, tag, value) relation grouped by
    customer: `max(case when tag = '<tag>' then value end) as <tag>`, integer tags
    cast back to integer. -#}
{% macro pivot_tag_columns(integer_tags) %}
    {%- set columns = [] -%}
    {%- for tag in tag_names() -%}
        {%- set pivoted = "max(case when tag = '" ~ tag ~ "' then value end)" -%}
        {%- if tag in integer_tags -%}
            {%- set pivoted = "cast(" ~ pivoted ~ " as integer)" -%}
        {%- endif -%}
        {%- do columns.append(pivoted ~ " as " ~ tag) -%}
    {%- endfor -%}
    {{ return(columns | join(",\n        ")) }}
{% endmacro %}

{#- The rows of a mart's tag snapshot, read from the CTE <mart><suffix> (a
    tag_snapshot_or_empty select), each with the customer's previous value of
    each tag (previous_<tag>), that version's as_of_date and the version's number
    (1 = the customer's first), in dbt_valid_from order. union_tag_columns casts
    the values to text when it unpivots them. -#}
{% macro tag_snapshot_versions(mart, suffix='_snapshot') %}
    {%- set columns = ['customer_id', 'as_of_date', 'dbt_valid_from'] -%}
    {%- for tag in tag_history_marts()[mart] -%}
        {%- do columns.append(tag) -%}
        {%- do columns.append(
            'lag(' ~ tag ~ ') over customer_versions as previous_' ~ tag
        ) -%}
    {%- endfor -%}
    {%- do columns.append(
        'lag(as_of_date) over customer_versions as previous_as_of_date'
    ) -%}
    {%- do columns.append('row_number() over customer_versions as version_number') -%}
    select
        {{ columns | join(',\n        ') }}
    from {{ mart ~ suffix }}
    window customer_versions as (partition by customer_id order by dbt_valid_from)
{% endmacro %}
