{#- Fails (or warns, by its severity) on each (tag, value) whose share of the
    build at var as_of_date moved more than max_points percentage points since
    the previous build kept in the history (the greatest earlier as_of_date). A
    value missing from one of the two builds counts as a share of 0 there; a tag
    missing from either build is not compared (new or deprecated). Each failing
    row is also logged as one line naming the tag, the value and both shares,
    so the warning says what moved without a query. -#}
{% test share_drift_within_limit(model, max_points, group_column='tag',
    value_column='tag_value', share_column='value_share') %}

{%- set drift_sql -%}
with

history as (
    select * from {{ model }}
),

current_build as (
    select * from history
    where as_of_date = {{ as_of_date() }}
),

previous_date as (
    select max(as_of_date) as as_of_date
    from history
    where as_of_date < {{ as_of_date() }}
),

previous_build as (
    select history.*
    from history
    inner join previous_date
        on history.as_of_date = previous_date.as_of_date
),

compared_groups as (
    select distinct current_build.{{ group_column }}
    from current_build
    inner join previous_build
        on current_build.{{ group_column }} = previous_build.{{ group_column }}
),

paired as (
    select
        coalesce(
            current_build.{{ group_column }}, previous_build.{{ group_column }}
        ) as {{ group_column }},
        coalesce(
            current_build.{{ value_column }}, previous_build.{{ value_column }}
        ) as {{ value_column }},
        previous_date.as_of_date as previous_as_of,
        {{ as_of_date() }} as current_as_of,
        coalesce(previous_build.{{ share_column }}, 0) * 100 as previous_points,
        coalesce(current_build.{{ share_column }}, 0) * 100 as current_points
    from current_build
    full outer join previous_build
        on
            current_build.{{ group_column }} = previous_build.{{ group_column }}
            and current_build.{{ value_column }} = previous_build.{{ value_column }}
    cross join previous_date
),

violations as (
    select
        paired.*,
        abs(paired.current_points - paired.previous_points) as moved_points
    from paired
    inner join compared_groups
        on paired.{{ group_column }} = compared_groups.{{ group_column }}
    where abs(paired.current_points - paired.previous_points) > {{ max_points }}
)

select * from violations
{%- endset -%}

{%- if execute -%}
    {%- set found = run_query(drift_sql ~ " order by moved_points desc") -%}
    {%- for row in found.rows -%}
        {%- do log(
            "share drift in " ~ model ~ ": " ~ row[group_column] ~ " = "
            ~ row[value_column] ~ " moved from "
            ~ "%.1f" | format(row['previous_points'] | float) ~ " % on "
            ~ row['previous_as_of'] ~ " to "
            ~ "%.1f" | format(row['current_points'] | float) ~ " % on "
            ~ row['current_as_of'] ~ " (limit " ~ max_points ~ " points)",
            info=true,
        ) -%}
    {%- endfor -%}
{%- endif -%}

{{ drift_sql }}

{% endtest %}
