{#- A timestamp (in the session time zone) from ISO text; null when it is not a
    real calendar date and time of day (2024-02-30, 25:61). -#}
{% macro timestamp_from_iso(iso_text) -%}
    {{ return(adapter.dispatch('timestamp_from_iso')(iso_text)) }}
{%- endmacro %}

{#- Spark's cast returns null on an impossible date or time. -#}
{% macro default__timestamp_from_iso(iso_text) -%}
    try_cast({{ iso_text }} as timestamp)
{%- endmacro %}

{#- PostgreSQL's cast raises on an impossible date, so the parts are checked first
    (pure arithmetic: nothing here can raise). -#}
{% macro postgres__timestamp_from_iso(iso_text) -%}
    {%- set head = '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}' -%}
    {%- set year = "cast(substring(" ~ iso_text ~ " from '^([0-9]{4})') as integer)" -%}
    {%- set month = "cast(substring(" ~ iso_text
        ~ " from '^[0-9]{4}-([0-9]{1,2})') as integer)" -%}
    {%- set day = "cast(substring(" ~ iso_text
        ~ " from '^[0-9]{4}-[0-9]{1,2}-([0-9]{1,2})') as integer)" -%}
    {%- set hour = "cast(substring(" ~ iso_text ~ " from '" ~ head
        ~ "[T ]([0-9]{1,2})') as integer)" -%}
    {%- set minute = "cast(substring(" ~ iso_text ~ " from '" ~ head
        ~ "[T ][0-9]{1,2}:([0-9]{1,2})') as integer)" -%}
    {%- set second = "cast(substring(" ~ iso_text ~ " from '" ~ head
        ~ "[T ][0-9]{1,2}:[0-9]{1,2}:([0-9]{1,2})') as integer)" -%}
    case
        when
            {{ year }} >= 1
            and {{ month }} between 1 and 12
            and {{ day }} between 1 and case
                when {{ month }} = 2 and ({{ year }} % 4 = 0 and {{ year }} % 100 != 0
                    or {{ year }} % 400 = 0) then 29
                when {{ month }} = 2 then 28
                when {{ month }} in (4, 6, 9, 11) then 30
                else 31
            end
            and coalesce({{ hour }}, 0) <= 23
            and coalesce({{ minute }}, 0) <= 59
            and coalesce({{ second }}, 0) <= 59
            then cast(cast({{ iso_text }} as timestamptz) as timestamp)
    end
{%- endmacro %}
