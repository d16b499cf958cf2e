"""Preview an audience condition on the published serving database (issue #17
item 5): its size and a breakdown by two or three tags, read-only. A bad
condition gets the same problem text as the build (catalogue validation)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tag_warehouse.catalogue.audiences import (
    comparisons,
    compile_sql,
    condition_problems,
    parse,
)
from tag_warehouse.catalogue.load import Catalogue
from tag_warehouse.publish import serving_connection

DEFAULT_BY = ("customer_level", "lifecycle_stage")


class PreviewError(ValueError):
    """A condition or breakdown the preview cannot run; the message says why."""


@dataclass(frozen=True)
class Preview:
    size: int
    customers: int
    by: tuple[str, ...]
    breakdown: list[tuple[object, ...]]  # (*tag values, customers), largest first


def preview_sql(cat: Catalogue, condition: str, by: tuple[str, ...]) -> str:
    """The breakdown query over the serving database's views (checked first)."""
    problems = condition_problems(condition, cat.fields)
    if problems:
        raise PreviewError("\n".join(f"condition: {problem}" for problem in problems))
    if not 1 <= len(by) <= 3:
        raise PreviewError(f"--by: give one to three tags, not {len(by)}")
    for name in by:
        field = cat.fields.get(name)
        if field is None or field.kind != "tag":
            raise PreviewError(f"--by: {name} is not an active tag")
    node = parse(condition)
    marts = sorted(
        {
            cat.fields[item.name].relation
            for item in comparisons(node)
            if cat.fields[item.name].relation != "customer_profile"
        }
    )
    joins = "".join(
        f" left join {mart} on customer_profile.customer_id = {mart}.customer_id"
        for mart in marts
    )
    columns = ", ".join(f"customer_profile.{name}" for name in by)
    return (
        f"select {columns}, count(*) as customers from customer_profile{joins}"
        f" where {compile_sql(node, cat.fields)} group by all"
        f" order by customers desc, {', '.join(str(i + 1) for i in range(len(by)))}"
    )


def preview(
    cat: Catalogue,
    condition: str,
    by: tuple[str, ...] = DEFAULT_BY,
    published: Path | None = None,
) -> Preview:
    sql = preview_sql(cat, condition, by)
    path = Path(published) if published else None
    with serving_connection(path) as con:
        rows = con.execute(sql).fetchall()
        customers = con.execute("select count(*) from customer_profile").fetchone()[0]
    size = sum(int(row[-1]) for row in rows)
    return Preview(size, int(customers), by, rows)
