{#- All tag names, in mart order. -#}
{% macro tag_names() %}
    {%- set names = [] -%}
    {%- for tags in tag_marts().values() -%}
        {%- do names.extend(tags) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}

{#- The slice a tag history model writes: every customer's row of the mart
    (key, the mart's as_of_date, the tag columns of tag_history_marts(); not the
    metrics, which change with every build) and recorded_at, the build's start
    (run_started_at, UTC). A deprecated tag's column is null: its last value
    leaves with one new version. -#}
{% macro tag_history_select(mart_relation, mart) %}
    {%- set columns = [] -%}
    {%- for tag in tag_history_marts()[mart] -%}
        {%- if tag in tag_marts()[mart] -%}
            {%- do columns.append(tag) -%}
        {%- elif tag in deprecated_integer_tags() -%}
            {%- do columns.append('cast(null as integer) as ' ~ tag) -%}
        {%- else -%}
            {%- do columns.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ tag) -%}
        {%- endif -%}
    {%- endfor %}
    select
        customer_id,
        as_of_date,
        {{ columns | join(',\n        ') }},
        {{ history_recorded_at() }} as recorded_at
    from {{ mart_relation }}
{% endmacro %}

{#- When a history slice was written: the build's start (run_started_at, UTC),
    the same for every model of one dbt invocation. -#}
{% macro history_recorded_at() %}
    {{- return(
        "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S')
        ~ "' as " ~ dbt.type_timestamp() ~ ")"
    ) -}}
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
    <mart><suffix>. Unpivots marts and histories into one row per tag. -#}
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
                ~ tag ~ "' as tag, cast(" ~ tag ~ " as " ~ dbt.type_string() ~ ") as " ~ value_alias
                ~ extra | join("") ~ " from " ~ mart ~ suffix
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(selects | join("\n    union all\n    ")) }}
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

{#- The versions of a mart's tag history, read from the CTE <mart><suffix> (rows
    of its history model: one per customer and build, or sparse slices migrated
    from a snapshot). A row is a version when it is the customer's first row or
    one of its tag columns differs from the customer's previous row, in
    as_of_date order (not the order the slices were written in). Each version
    gets the previous version's value of each tag (previous_<tag>), its
    as_of_date and the version's number (1 = the customer's first).
    union_tag_columns casts the values to text when it unpivots them. Two CTEs:
    <mart>_rows (each row with the previous row's tags) and <mart>_versions. -#}
{% macro tag_history_versions(mart, suffix='_history') %}
    {%- set tags = tag_history_marts()[mart] -%}
    {%- set row_columns = ['customer_id', 'as_of_date', 'recorded_at'] -%}
    {%- set differs = ['previous_row_as_of_date is null'] -%}
    {%- for tag in tags -%}
        {%- do row_columns.append(tag) -%}
        {%- do row_columns.append(
            'lag(' ~ tag ~ ') over customer_rows as previous_row_' ~ tag
        ) -%}
        {%- do differs.append(
            distinct_from(tag, 'previous_row_' ~ tag)
        ) -%}
    {%- endfor -%}
    {%- do row_columns.append(
        'lag(as_of_date) over customer_rows as previous_row_as_of_date'
    ) -%}
    {%- set columns = ['customer_id', 'as_of_date', 'recorded_at'] -%}
    {%- for tag in tags -%}
        {%- do columns.append(tag) -%}
        {%- do columns.append(
            'lag(' ~ tag ~ ') over customer_versions as previous_' ~ tag
        ) -%}
    {%- endfor -%}
    {%- do columns.append(
        'lag(as_of_date) over customer_versions as previous_as_of_date'
    ) -%}
    {%- do columns.append('row_number() over customer_versions as version_number') -%}
    {{ mart }}_rows as (
        select
            {{ row_columns | join(',\n            ') }}
        from {{ mart ~ suffix }}
        window customer_rows as (partition by customer_id order by as_of_date)
    ),

    {{ mart }}_versions as {{ cte_materialized() }} (
        select
            {{ columns | join(',\n            ') }}
        from {{ mart }}_rows
        where
            {{ differs | join('\n            or ') }}
        window customer_versions as (partition by customer_id order by as_of_date)
    )
{% endmacro %}

{#- A metric's value in a reason text: two decimals, as text. Through a decimal
    cast: round(double, int) is missing on PostgreSQL, and a cast rounds the same
    on DuckDB, PostgreSQL and Spark. -#}
{% macro reason_amount_text(column) -%}
    cast(cast({{ column }} as decimal(18, 2)) as {{ dbt.type_string() }})
{%- endmacro %}
