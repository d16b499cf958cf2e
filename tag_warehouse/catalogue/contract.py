"""The column types of the consumer tables' dbt contracts, in one place.

The generated marts' yml declares each column's `data_type` from here (tags from
their value type, metrics from their catalogue type), and the generated mart SQL
casts each metric column to the same type, so a contract holds by construction on
DuckDB, PostgreSQL and Spark. dbt compares a contract by casting null to the
declared type on the engine and comparing what the engine reports for both sides,
so a name only has to be valid on each engine: `string` (dbt's alias, `text` on
PostgreSQL), `bigint`, `integer`, `date`, `boolean` and `decimal(p, s)` are. Only
the double-precision float has no name all three accept (PostgreSQL `double
precision`, Spark `double`): DOUBLE_NAMES is the one list, rendered both into the
`type_double()` dispatch macro the SQL uses and into the yml's data_type (Jinja on
`target.type`, which dbt renders when it parses the yml)."""

from __future__ import annotations

# Engine (dbt adapter type) -> its name of a double-precision float; `default`
# for any other adapter.
DOUBLE_NAMES: dict[str, str] = {
    "default": "double precision",
    "duckdb": "double",
    "spark": "double",
}

# Metric type of catalogue/metrics.yml -> (yml data_type, SQL type of the cast).
METRIC_TYPES: dict[str, tuple[str, str]] = {
    "integer": ("bigint", "bigint"),
    "decimal": ("decimal(38, 4)", "decimal(38, 4)"),
    "text": ("string", "{{ dbt.type_string() }}"),
    "date": ("date", "date"),
    "boolean": ("boolean", "boolean"),
}

# Tag value type of the registry -> yml data_type (codes are text; scores integers).
TAG_TYPES: dict[str, str] = {"code": "string", "integer": "integer"}

# The key and date columns every mart starts with.
KEY_TYPES: dict[str, str] = {"customer_id": "string", "as_of_date": "date"}


def double_data_type() -> str:
    """The yml data_type of a double: a Jinja expression dbt renders at parse time."""
    others = {
        engine: name for engine, name in DOUBLE_NAMES.items() if engine != "default"
    }
    return f"{{{{ {others!r}.get(target.type, {DOUBLE_NAMES['default']!r}) }}}}"


def metric_data_type(metric_type: str) -> str:
    """The yml data_type of a metric column of a catalogue metric type."""
    if metric_type == "number":
        return double_data_type()
    return METRIC_TYPES[metric_type][0]


def metric_sql_type(metric_type: str) -> str:
    """The SQL type (Jinja) a mart casts a metric column to."""
    if metric_type == "number":
        return "{{ type_double() }}"
    return METRIC_TYPES[metric_type][1]


def type_double_macros() -> list[str]:
    """The type_double() dispatch macro and its per-adapter implementations."""
    lines = [
        "{#- A double-precision float type on every adapter (dbt.type_float() is a",
        "    4-byte FLOAT on DuckDB): DOUBLE_NAMES in tag_warehouse/catalogue/",
        "    contract.py, whose names the contracts' yml uses too. -#}",
        "{% macro type_double() -%}",
        "    {{ return(adapter.dispatch('type_double')()) }}",
        "{%- endmacro %}",
        "",
    ]
    for engine, name in DOUBLE_NAMES.items():
        lines += [
            f"{{% macro {engine}__type_double() -%}}{name}{{%- endmacro %}}",
            "",
        ]
    return lines
