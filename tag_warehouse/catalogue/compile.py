"""Compile catalogue entries to SQL: the tag marts (band_ladder CASE ladders with the
thresholds as var() calls written in the model, so unit-test overrides reach them)
and one declared-metric model per source. Every name pasted into SQL is an
identifier checked by the schema; every literal is typed and quoted here."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tag_warehouse.catalogue.contract import metric_sql_type
from tag_warehouse.catalogue.load import Catalogue, Dimension, Metric
from tag_warehouse.catalogue.schema import (
    Bands,
    Condition,
    DeclaredMetric,
    Filter,
    Rung,
    Tag,
    VarRef,
)


def sql_literal(value: Any) -> str:
    """A typed value as a SQL literal: booleans, numbers, quoted text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def jinja_code(code: str | int) -> str:
    """A band code as band_ladder takes it: text quoted, numbers bare."""
    return str(code) if isinstance(code, int) else f"'{code}'"


def model_alias(model: str) -> str:
    """The CTE name of an imported model: its name without the layer prefix."""
    for prefix in ("int_customers_", "stg_crm__", "int_"):
        if model.startswith(prefix):
            return model[len(prefix) :]
    return model


def rule_bands(tag: Tag) -> Bands | None:
    return tag.rule.bands or tag.rule.model_output


def referenced_tags(tag: Tag) -> list[str]:
    """Tags of the same mart this tag's rule reads."""
    bands = rule_bands(tag)
    if bands is not None and bands.tag is not None:
        return [bands.tag]
    if tag.rule.sum is not None:
        return list(tag.rule.sum.tags)
    return []


def tag_metrics(tag: Tag) -> list[str]:
    """Metrics a tag's rule reads (guards, band metric, per, shown)."""
    bands = rule_bands(tag)
    names: list[str] = []
    if bands is not None:
        names += [guard.if_.metric for guard in bands.guards]
        names += [name for name in (bands.metric, bands.per, bands.shown) if name]
    elif tag.rule.category is not None:
        names.append(tag.rule.category.metric)
        names += tag.rule.category.shows
    return names


def reason_metric(tag: Tag) -> str | None:
    """The column whose value a band tag's reason shows."""
    bands = rule_bands(tag)
    if bands is None:
        return None
    return bands.shown or bands.metric or bands.tag


def mart_columns(dim: Dimension, tags: list[Tag]) -> list[str]:
    """Metric columns a mart shows beside its tags: the dimension's list, then
    each band tag's reason metric (the reasons read it from the mart)."""
    columns = list(dim.spec.columns)
    names = {tag.name for tag in tags}
    for tag in tags:
        shown = [reason_metric(tag)]
        if tag.rule.category is not None:
            shown += tag.rule.category.shows
        for name in shown:
            if name and name not in columns and name not in names:
                columns.append(name)
    return columns


@dataclass
class Import:
    model: str
    python_model: bool = False

    @property
    def alias(self) -> str:
        return model_alias(self.model)


def _imports(cat: Catalogue, metric_names: Iterable[str]) -> list[Import]:
    imports: dict[str, Import] = {}
    for name in metric_names:
        metric = cat.metrics[name]
        python = bool(getattr(metric, "python_model", False))
        imports.setdefault(metric.model, Import(metric.model, python))
    ordered = sorted(imports.values(), key=lambda item: item.python_model)
    return ordered


def _column(metric: Metric) -> str:
    return getattr(metric, "column", None) or metric.name


def _threshold(rung: Rung, per: str | None) -> str:
    threshold = rung.threshold
    if isinstance(threshold, VarRef):
        value = f"var('{threshold.var}')"
        return f"{value} ~ ' * {per}'" if per else value
    return f"'{threshold} * {per}'" if per else str(threshold)


def _condition(condition: Condition) -> str:
    if condition.var is not None:
        right = "{{ var('" + condition.var + "') }}"
    else:
        right = sql_literal(condition.value)
    return f"{condition.metric} {condition.op} {right}"


def band_expression(tag: Tag, indent: str) -> str:
    """The Jinja/SQL expression of a band tag: guards, then band_ladder."""
    bands = rule_bands(tag)
    assert bands is not None
    subject = bands.metric or bands.tag
    inner = indent + "    " if bands.guards else indent
    rungs = "".join(
        f"{inner}    ('{rung.op}', {_threshold(rung, bands.per)},"
        f" {jinja_code(rung.code)}),\n"
        for rung in bands.rungs
    )
    arguments = f"otherwise={jinja_code(bands.otherwise)}"
    if bands.when_null is not None:
        arguments += f", when_null={jinja_code(bands.when_null)}"
    ladder = f"{{{{ band_ladder('{subject}', [\n{rungs}{inner}], {arguments}) }}}}"
    if not bands.guards:
        return ladder
    whens = ""
    for guard in bands.guards:
        line = (
            f"{indent}    when {_condition(guard.if_)} then {sql_literal(guard.code)}"
        )
        if len(line) > 88:
            line = (
                f"{indent}    when {_condition(guard.if_)}\n"
                f"{indent}        then {sql_literal(guard.code)}"
            )
        whens += line + "\n"
    return f"case\n{whens}{indent}    else {ladder}\n{indent}end"


def tag_expression(tag: Tag, indent: str) -> str:
    """`<expression> as <tag>` for one tag."""
    if tag.rule.category is not None:
        category = tag.rule.category
        expression = category.metric
        if category.when_null is not None:
            expression = (
                f"coalesce({category.metric}, {sql_literal(category.when_null)})"
            )
        if expression == tag.name:
            return tag.name
        return f"{expression} as {tag.name}"
    if tag.rule.sum is not None:
        return " + ".join(tag.rule.sum.tags) + f" as {tag.name}"
    return f"{band_expression(tag, indent)} as {tag.name}"


def _levels(tags: list[Tag]) -> dict[str, int]:
    by_name = {tag.name: tag for tag in tags}
    levels: dict[str, int] = {}

    def level(name: str, trail: tuple[str, ...] = ()) -> int:
        if name in levels:
            return levels[name]
        if name in trail:
            raise ValueError(f"tags {' -> '.join(trail + (name,))} read each other")
        parents = [p for p in referenced_tags(by_name[name]) if p in by_name]
        levels[name] = 1 + max((level(p, trail + (name,)) for p in parents), default=-1)
        return levels[name]

    for tag in tags:
        level(tag.name)
    return levels


def generated_header(what: str, sources: Iterable[str]) -> str:
    text = (
        f"GENERATED by `python scripts/catalogue.py generate` from"
        f" {', '.join(sources)}: do not edit. {what}"
    )
    return textwrap.fill(text, 84, subsequent_indent="    ")


def mart_sql(
    cat: Catalogue, dim: Dimension, tags: list[Tag], purpose: str | None = None
) -> str:
    """The SQL of a tag mart (or its preview) computing the given tags."""
    columns = mart_columns(dim, tags)
    needed: list[str] = []
    for name in [*(m for tag in tags for m in tag_metrics(tag)), *columns]:
        if name not in needed:
            needed.append(name)
    imports = _imports(cat, needed)
    sources = sorted({source for tag in tags for source in tag.sources})
    description = purpose or (
        f"{dim.spec.description} One row per clean customer. Source(s):"
        f" {', '.join(sources)}. Cadence: {dim.spec.cadence}."
    )
    # a preview (draft tags) lives in its own schema: publish exports `marts` only,
    # so it is no consumer table: protected, no contract (dbt_project.yml marts)
    config = (
        "{{ config(schema='preview', tags=['preview'], access='protected',"
        " contract={'enforced': false}) -}}"
        if purpose
        else f"{{{{ config(tags=['{dim.spec.cadence}']) -}}}}"
    )
    lines = [
        "{#- "
        + generated_header(description, [dim.file, "catalogue/metrics.yml"])
        + " -#}",
        config,
        "",
        "with",
        "",
    ]
    base = next(item for item in imports if not item.python_model)
    for item in imports:
        if item.python_model:
            fallback = ",\n".join(
                f"            cast(null as {{{{ type_double() }}}}) as {_column(m)}"
                for m in (cat.metrics[n] for n in needed)
                if m.model == item.model
            )
            lines += [
                "{# A dbt Python model: on an adapter without Python models it is",
                "   disabled and its metrics are null (DECISIONLOG 2026-11-27). -#}",
                f"{item.alias} as (",
                "    {%- if python_models_supported() %}",
                f"        select * from {{{{ ref('{item.model}') }}}}",
                "    {%- else %}",
                "        select",
                "            customer_id,",
                fallback,
                f"        from {base.alias}",
                "    {%- endif %}",
                "),",
                "",
            ]
        else:
            lines += [
                f"{item.alias} as (",
                f"    select * from {{{{ ref('{item.model}') }}}}",
                "),",
                "",
            ]
    qualify = len(imports) > 1
    selected = [f"{base.alias}.customer_id" if qualify else "customer_id"]
    for name in needed:
        metric = cat.metrics[name]
        column = _column(metric)
        owner = model_alias(metric.model)
        text = f"{owner}.{column}" if qualify else column
        selected.append(text if column == name else f"{text} as {name}")
    joins = [
        f"    inner join {item.alias}\n"
        f"        on {base.alias}.customer_id = {item.alias}.customer_id"
        for item in imports
        if item is not base
    ]
    lines += [
        "metrics as (",
        "    select",
        ",\n".join(f"        {text}" for text in selected),
        f"    from {base.alias}",
        *joins,
        "),",
        "",
    ]
    levels = _levels(tags)
    # tags other tags read (and what they read) are computed in stage CTEs, one
    # per level; the others, in the final select
    by_name = {tag.name: tag for tag in tags}
    staged: set[str] = set()
    pending = [parent for tag in tags for parent in referenced_tags(tag)]
    while pending:
        name = pending.pop()
        if name not in staged:
            staged.add(name)
            pending += referenced_tags(by_name[name])
    previous = "metrics"
    for level in sorted({levels[name] for name in staged}):
        name = "scored" if level == 0 else f"scored_{level}"
        expressions = [
            tag_expression(tag, "        ")
            for tag in tags
            if tag.name in staged and levels[tag.name] == level
        ]
        lines += [
            f"{name} as (",
            "    select",
            "        *,",
            ",\n".join(f"        {text}" for text in expressions),
            f"    from {previous}",
            "),",
            "",
        ]
        previous = name
    final = ["customer_id", "{{ as_of_date() }} as as_of_date"]
    for tag in tags:
        final.append(
            tag.name if tag.name in staged else tag_expression(tag, "        ")
        )
    # metric columns cast to their contract type (tag_warehouse/catalogue/contract.py):
    # the same on every engine, whatever type the engine's aggregate gives
    final += [
        f"cast({column} as {metric_sql_type(cat.metrics[column].value_type)})"
        f" as {column}"
        for column in columns
        if column not in {t.name for t in tags}
    ]
    lines += [
        "tagged as (",
        "    select",
        ",\n".join(f"        {text}" for text in final),
        f"    from {previous}",
        ")",
        "",
        "select * from tagged",
        "",
    ]
    return "\n".join(lines)


# ---- declared metrics ---------------------------------------------------------

SOURCE_INPUT = {
    "orders": ("int_completed_orders_unioned", "order_date", "days_since_order"),
    "service_interactions": (
        "stg_crm__service_interactions",
        "occurred_date",
        "days_before_as_of",
    ),
}


def filter_sql(item: Filter) -> str:
    if item.op == "is_null":
        return f"{item.column} is null"
    if item.op == "is_not_null":
        return f"{item.column} is not null"
    if item.op in ("in", "not_in"):
        values = item.value if isinstance(item.value, list) else [item.value]
        keyword = "in" if item.op == "in" else "not in"
        return f"{item.column} {keyword} ({', '.join(sql_literal(v) for v in values)})"
    return f"{item.column} {item.op} {sql_literal(item.value)}"


def metric_condition(metric: DeclaredMetric) -> list[str]:
    _, _, days = SOURCE_INPUT[metric.source]
    conditions = []
    window = metric.window_days
    if isinstance(window, VarRef):
        conditions.append(f"{days} < {{{{ var('{window.var}') }}}}")
    elif isinstance(window, int):
        conditions.append(f"{days} < {window}")
    conditions += [filter_sql(item) for item in metric.filter]
    return conditions


def declared_sources(cat: Catalogue) -> list[str]:
    return sorted(
        {m.source for m in cat.metrics.values() if isinstance(m, DeclaredMetric)}
    )


def declared_metrics(cat: Catalogue, source: str) -> list[DeclaredMetric]:
    return [
        metric
        for metric in cat.metrics.values()
        if isinstance(metric, DeclaredMetric) and metric.source == source
    ]


def _case(conditions: list[str], then: str) -> str:
    if not conditions:
        return then
    joined = "\n                    and ".join(conditions)
    return (
        "case\n                when\n                    "
        f"{joined}\n                    then {then}\n            end"
    )


SIMPLE = {"count", "count_distinct", "sum", "mean", "min", "max"}


def _aggregate(metric: DeclaredMetric) -> str:
    conditions = metric_condition(metric)
    column = metric.column or "1"
    value = _case(conditions, column)
    if metric.aggregate == "count":
        return f"count(\n            {value}\n        )"
    if metric.aggregate == "count_distinct":
        return f"count(distinct\n            {value}\n        )"
    if metric.aggregate == "mean":
        return f"avg(cast(\n            {value}\n        as {{{{ type_double() }}}}))"
    return f"{metric.aggregate}(\n            {value}\n        )"


def declared_sql(cat: Catalogue, source: str) -> str:
    """One model computing every declared metric of a source per clean customer."""
    model, date_column, days = SOURCE_INPUT[source]
    metrics = declared_metrics(cat, source)
    names = ", ".join(metric.name for metric in metrics)
    lines = [
        "{#- "
        + generated_header(
            f"Declared metrics over {source}, one row per clean customer: {names}.",
            ["catalogue/metrics.yml"],
        )
        + " -#}",
        "",
        "with",
        "",
        "customers as (",
        "    select customer_id from {{ ref('stg_crm__customers') }}",
        "),",
        "",
        f"{source} as (",
        f"    select * from {{{{ ref('{model}') }}}}",
        "),",
        "",
    ]
    if source == "service_interactions":
        lines += [
            "dated as (",
            "    select",
            "        *,",
            f"        {{{{ days_between('{date_column}', as_of_date()) }}}} as {days}",
            f"    from {source}",
            f"    where {date_column} <= {{{{ as_of_date() }}}}",
            "),",
            "",
        ]
    else:
        lines += ["dated as (", f"    select * from {source}", "),", ""]
    simple = [metric for metric in metrics if metric.aggregate in SIMPLE]
    if simple:
        lines += [
            "aggregated as (",
            "    select",
            "        customer_id,",
            ",\n".join(
                f"        {_aggregate(metric)} as {metric.name}" for metric in simple
            ),
            "    from dated",
            "    group by customer_id",
            "),",
            "",
        ]
    ranked = [metric for metric in metrics if metric.aggregate not in SIMPLE]
    for metric in ranked:
        conditions = metric_condition(metric)
        where = (
            "    where\n        " + "\n        and ".join(conditions)
            if conditions
            else None
        )
        if metric.aggregate == "most_frequent":
            tie = (
                "latest_date desc, value asc"
                if metric.tie_break == "latest"
                else "value asc"
            )
            lines += [
                f"{metric.name}_counted as (",
                "    select",
                "        customer_id,",
                f"        {metric.column} as value,",
                "        count(*) as value_count,",
                f"        max({date_column}) as latest_date",
                "    from dated",
                *([where] if where else []),
                f"    group by customer_id, {metric.column}",
                "),",
                "",
                f"{metric.name}_ranked as (",
                "    select",
                "        customer_id,",
                "        value,",
                "        row_number() over (",
                "            partition by customer_id",
                f"            order by value_count desc, {tie}",
                "        ) as value_rank",
                f"    from {metric.name}_counted",
                "),",
                "",
            ]
        else:
            direction = "asc" if metric.aggregate == "first" else "desc"
            lines += [
                f"{metric.name}_ranked as (",
                "    select",
                "        customer_id,",
                f"        {metric.column} as value,",
                "        row_number() over (",
                "            partition by customer_id",
                f"            order by {date_column} {direction}, {metric.column} asc",
                "        ) as value_rank",
                "    from dated",
                *([where] if where else []),
                "),",
                "",
            ]
    selected = ["customers.customer_id"]
    for metric in metrics:
        if metric.aggregate in SIMPLE:
            value = f"aggregated.{metric.name}"
            if metric.not_null:
                value = f"coalesce({value}, 0)"
        else:
            value = f"{metric.name}_ranked.value"
        selected.append(f"{value} as {metric.name}")
    joins = []
    if simple:
        joins.append(
            "    left join aggregated\n"
            "        on customers.customer_id = aggregated.customer_id"
        )
    for metric in ranked:
        joins.append(
            f"    left join {metric.name}_ranked\n"
            "        on\n"
            f"            customers.customer_id = {metric.name}_ranked.customer_id\n"
            f"            and {metric.name}_ranked.value_rank = 1"
        )
    lines += [
        "joined as (",
        "    select",
        ",\n".join(f"        {text}" for text in selected),
        "    from customers",
        *joins,
        ")",
        "",
        "select * from joined",
        "",
    ]
    return "\n".join(lines)
