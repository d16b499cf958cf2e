"""Audiences (spec section 6): the condition language, its validation against the
catalogue and its SQL, all pure Python (fast). The models, history and the CRM
sync across builds are in tests/test_audience_builds.py."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from dbt_helpers import ROOT

from tag_warehouse.catalogue.audiences import (
    AUDIENCES_FILE,
    ConditionError,
    compile_sql,
    evaluate,
    is_holdout,
    load_audiences,
    parse,
)
from tag_warehouse.catalogue.load import load

CATALOGUE = load(ROOT)
FIELDS = CATALOGUE.fields


def entry(
    name: str = "a", condition: str = "customer_level = 'vip'", **extra: object
) -> dict[str, object]:
    return {
        "name": name,
        "status": "active",
        "label": {"zh": "甲", "en": "A"},
        "description": "An audience.",
        "owner": "crm",
        "condition": condition,
        **extra,
    }


def problems_of(tmp_path: Path, audiences: list[dict[str, object]]) -> list[str]:
    path = tmp_path / AUDIENCES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"audiences": audiences}), encoding="utf-8")
    problems: list[str] = []
    load_audiences(tmp_path, FIELDS, problems)
    return problems


WHERE = "catalogue/audiences.yml: audience a: condition: "


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("loyalty = 'gold'", "unknown tag or metric loyalty"),
        ("basket_size > 3", "unknown tag or metric basket_size"),
        (
            "customer_level = 'gold'",
            "'gold' is not a value of tag customer_level (vip, important,"
            " ordinary, potential)",
        ),
        ("r_score in (1, 2)", "2 is not a value of tag r_score (0, 1, 3, 5)"),
        (
            "customer_level < 'vip'",
            "< needs a number or a date, customer_level is a tag of type code"
            " (use =, != or in)",
        ),
        ("window_amount > 'big'", "window_amount is a number, not the text 'big'"),
        ("customer_level = vip", "malformed: expected a value at character 18,"),
        ("customer_level = 'vip' and", "malformed: expected a tag or metric name"),
        ("(customer_level = 'vip'", "malformed: expected ')' at character 24"),
        ("customer_level = 'vip", "malformed: unterminated text at character 18"),
        (
            "customer_level = 'vip'; drop table marts.customer_tags",
            "malformed: unexpected ';' at character 23",
        ),
        ("lifecycle_stage = 1", "lifecycle_stage is text: quote the value ('1')"),
        (
            "first_order_date > '2026/01/01'",
            "first_order_date is a date: compare it with 'YYYY-MM-DD'",
        ),
    ],
)
def test_a_bad_condition_is_one_message_naming_the_audience(
    tmp_path: Path, condition: str, message: str
) -> None:
    problems = problems_of(tmp_path, [entry(condition=condition)])
    assert len(problems) == 1, problems
    assert problems[0].startswith(WHERE + message), problems


def test_audience_level_problems_name_the_audience(tmp_path: Path) -> None:
    group = {"exclusive_group": "offer", "priority": 1}
    problems = problems_of(
        tmp_path,
        [
            entry("a", **group),
            entry("a"),
            entry("b", **group),
            entry("c", exclusive_group="offer"),
            entry("d", holdout=1),
            entry("e", status="live"),
            entry("as_of_date"),
        ],
    )
    assert problems == [
        "catalogue/audiences.yml: audience a: name: two audiences are called a",
        "catalogue/audiences.yml: audience c: entry: Value error, exclusive_group"
        " and priority go together",
        "catalogue/audiences.yml: audience d: holdout: Input should be less than 1",
        "catalogue/audiences.yml: audience e: status: Input should be 'draft',"
        " 'active' or 'deprecated'",
        "catalogue/audiences.yml: audience as_of_date: name: as_of_date is a column"
        " of customer_audiences; choose another name",
        "catalogue/audiences.yml: audience b: priority: 1 is also a's in group"
        " offer (a priority list needs distinct numbers)",
    ]


def test_the_catalogue_stops_generation_on_a_bad_audience(tmp_path: Path) -> None:
    """load() (generate, check, the build's freshness hook) raises the problem."""
    for relative in ["dbt_project.yml", "catalogue/metrics.yml"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes((ROOT / relative).read_bytes())
    for path in (ROOT / "catalogue" / "tags").glob("*.yml"):
        target = tmp_path / "catalogue" / "tags" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    (tmp_path / AUDIENCES_FILE).write_text(
        yaml.safe_dump({"audiences": [entry(condition="customer_level = 'gold'")]}),
        encoding="utf-8",
    )
    from tag_warehouse.catalogue.load import CatalogueError

    with pytest.raises(CatalogueError, match="audience a: condition: 'gold' is not"):
        load(tmp_path)


def test_values_are_quoted_by_the_compiler_never_pasted() -> None:
    """A text value with a quote (an open tag takes any code) stays one literal."""
    node = parse("product_preference = 'o''brien' or not complaints in ('one')")
    sql = compile_sql(node, FIELDS)
    assert "customer_profile.product_preference = 'o''brien'" in sql
    assert "not coalesce(customer_profile.complaints in ('one'), false)" in sql
    metric = compile_sql(parse("first_order_date >= '2026-01-01'"), FIELDS)
    assert "customer_tags_lifecycle.first_order_date >= cast('2026-01-01' as date)" in (
        metric
    )


def test_precedence_and_two_valued_logic() -> None:
    node = parse("not r_score = 5 and customer_level = 'vip' or rfm_total >= 12")
    assert evaluate(node, {"r_score": 3, "customer_level": "vip", "rfm_total": 1})
    assert not evaluate(node, {"r_score": 5, "customer_level": "vip", "rfm_total": 1})
    assert evaluate(node, {"r_score": 5, "customer_level": "vip", "rfm_total": 12})
    # a missing metric never matches; `not` of it does
    assert not evaluate(parse("window_profit_share > 0.5"), {})
    assert evaluate(parse("not window_profit_share > 0.5"), {})
    with pytest.raises(ConditionError):
        parse("")


def test_the_shipped_audiences_are_the_issue_examples() -> None:
    audiences = {item.name: item for item in CATALOGUE.audiences}
    assert audiences["price_sensitive_complainers"].holdout == Decimal("0.1")
    assert {item.status for item in audiences.values()} == {"active"}
    assert len(audiences) == 3


def test_holdout_rule_is_the_spec_md5_rule() -> None:
    digest = hashlib.md5(b"price_sensitive_complainers:C00000001").hexdigest()
    bucket = int(digest[:8], 16)
    share = Decimal(bucket + 1) / 2**32
    assert is_holdout("price_sensitive_complainers", "C00000001", share)
    assert not is_holdout("price_sensitive_complainers", "C00000001", bucket / 2**32)
    held = sum(is_holdout("a", f"C{index:08d}", 0.1) for index in range(20000))
    assert 1800 < held < 2200


def test_drafts_only_preview_deprecated_leave_with_an_explicit_change() -> None:
    """A draft audience is only in the preview model; a deprecated one leaves
    audience_members but keeps a null column in the history model."""
    from dataclasses import replace

    from tag_warehouse.catalogue.render_audiences import audience_files

    first, second, third = CATALOGUE.audiences
    cat = replace(
        CATALOGUE,
        audiences=[
            first,
            second.model_copy(update={"status": "draft"}),
            third.model_copy(update={"status": "deprecated"}),
        ],
    )
    files = audience_files(cat)
    members = files["models/marts/audiences/audience_members.sql"]
    preview = files["models/marts/preview/preview_audience_members.sql"]
    wide = files["models/marts/audiences/customer_audiences.sql"]
    history = files["models/history/customer_audiences_history.sql"]
    assert f"'{first.name}' as audience" in members
    assert f"'{second.name}' as audience" not in members
    assert f"'{third.name}' as audience" not in members
    assert f"'{second.name}' as audience" in preview
    assert "schema='preview'" in preview
    assert f"cast(null as {{{{ dbt.type_string() }}}}) as {third.name}" in wide
    assert second.name not in wide
    assert f"    {first.name},\n    {third.name},\n" in history
    registry = files["seeds/audience_registry.csv"]
    assert f"{second.name},draft," in registry
