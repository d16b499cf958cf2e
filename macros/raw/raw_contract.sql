{#- The raw input contract (spec section 1): table -> required columns.
    Column order in a file is free; extra columns are ignored. -#}
{% macro raw_contract() -%}
    {{ return({
        "customers": [
            "customer_id", "customer_name", "customer_type", "industry",
            "employee_count", "province", "city", "phone", "email",
            "decision_role", "created_at", "updated_at",
        ],
        "orders": [
            "order_id", "customer_id", "order_date", "product_category", "amount",
            "cost", "promotion_id", "status", "updated_at",
        ],
        "promotions": [
            "promotion_id", "promotion_name", "promotion_type", "start_date",
            "end_date", "discount_rate",
        ],
        "service_interactions": [
            "interaction_id", "customer_id", "occurred_at", "channel",
            "interaction_type", "satisfaction",
        ],
    }) }}
{%- endmacro %}

{#- Raw columns of a table selected as raw_<column> text, PII columns left out. -#}
{% macro raw_text_columns(table, exclude=[]) -%}
    {%- for column in raw_contract()[table] if column not in exclude %}
        {{ column }} as raw_{{ column }},
    {%- endfor %}
{%- endmacro %}

{#- The raw_<column> names of a table, comma separated (for rejects models). -#}
{% macro raw_column_names(table, exclude=[]) -%}
    {%- for column in raw_contract()[table] if column not in exclude %}
        raw_{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Raw columns of a table as raw_<column>, kept on rejected rows only (null on
    clean and superseded ones, which are read through their parsed columns): the
    base tables then write one raw text per rejected row instead of one per row.
    Reads row_status. -#}
{% macro raw_text_of_rejected_rows(table, exclude=[]) -%}
    {%- for column in raw_contract()[table] if column not in exclude %}
        case when row_status = 'rejected' then raw_{{ column }} end
            as raw_{{ column }},
    {%- endfor %}
{%- endmacro %}
