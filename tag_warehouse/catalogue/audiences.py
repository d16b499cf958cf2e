"""Audiences (spec section 6): catalogued customer sets over tag codes and mart
metrics, in catalogue/audiences.yml.

A condition is data, not code: a small recursive-descent parser turns its text
into a tree, the tree is checked against the catalogue (tags, their values,
metrics and their types) and only then compiled to SQL, with every name an
identifier the catalogue knows and every value typed and quoted by the compiler.

    condition := or
    or        := and ("or" and)*
    and       := unary ("and" unary)*
    unary     := "not" unary | "(" or ")" | compare
    compare   := NAME op value | NAME ["not"] "in" "(" value ("," value)* ")"
    op        := = | != | < | <= | > | >=
    value     := 'text' | number | true | false

A comparison whose left side is missing (a null metric) is false, so `not`
of it is true: two-valued logic, the same in SQL and in the Python evaluator.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from tag_warehouse.catalogue.schema import (
    NUMERIC_TYPES,
    Identifier,
    Labels,
    Status,
    Strict,
    Text,
)

AUDIENCES_FILE = "catalogue/audiences.yml"
HOLDOUT_SCALE = 2**32
# customer_audiences has one column per audience beside these
RESERVED = {"customer_id", "as_of_date"}


class Audience(Strict):
    name: Identifier
    status: Status
    label: Labels
    description: Text
    owner: Text
    condition: Text
    exclusive_group: Identifier | None = None
    priority: int | None = Field(default=None, ge=1, le=1000)
    holdout: Decimal = Field(default=Decimal(0), ge=0, lt=1)

    @model_validator(mode="after")
    def _group_needs_priority(self) -> Audience:
        if (self.exclusive_group is None) != (self.priority is None):
            raise ValueError("exclusive_group and priority go together")
        return self


class AudiencesFile(Strict):
    audiences: list[Audience] = []


# ---- the condition tree -----------------------------------------------------


@dataclass(frozen=True)
class Compare:
    name: str
    op: str  # = != < <= > >= in not_in
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    operands: tuple[Node, ...]


Node = Compare | Not | BoolOp


class ConditionError(ValueError):
    """A malformed or invalid condition; the message says where and why."""


_TOKEN = re.compile(
    r"\s*(?:(?P<text>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op><=|>=|!=|<>|=|<|>)|(?P<punct>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<bad>\S))"
)
KEYWORDS = {"and", "or", "not", "in", "true", "false"}


@dataclass(frozen=True)
class Token:
    kind: str
    value: Any
    position: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "bad"
        raw = match.group(kind)
        position = match.start(kind) + 1
        if kind == "bad":
            if raw == "'":
                raise ConditionError(f"unterminated text at character {position}")
            raise ConditionError(f"unexpected {raw!r} at character {position}")
        if kind == "text":
            tokens.append(Token("value", raw[1:-1].replace("''", "'"), position))
        elif kind == "number":
            number = Decimal(raw)
            value = int(number) if "." not in raw else number
            tokens.append(Token("value", value, position))
        elif kind == "word" and raw.lower() in ("true", "false"):
            tokens.append(Token("value", raw.lower() == "true", position))
        elif kind == "word" and raw.lower() in KEYWORDS:
            tokens.append(Token(raw.lower(), raw.lower(), position))
        elif kind == "op":
            tokens.append(Token("op", "!=" if raw == "<>" else raw, position))
        else:
            tokens.append(Token(kind if kind != "punct" else raw, raw, position))
    tokens.append(Token("end", None, len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token.kind != kind:
            found = "the end" if token.kind == "end" else repr(str(token.value))
            raise ConditionError(
                f"expected {what} at character {token.position}, found {found}"
            )
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.or_()
        self.take("end", "and, or or the end")
        return node

    def or_(self) -> Node:
        operands = [self.and_()]
        while self.peek().kind == "or":
            self.index += 1
            operands.append(self.and_())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def and_(self) -> Node:
        operands = [self.unary()]
        while self.peek().kind == "and":
            self.index += 1
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "not":
            self.index += 1
            return Not(self.unary())
        if token.kind == "(":
            self.index += 1
            node = self.or_()
            self.take(")", "')'")
            return node
        return self.compare()

    def compare(self) -> Node:
        name = self.take("word", "a tag or metric name").value
        token = self.peek()
        if token.kind == "op":
            self.index += 1
            return Compare(name, token.value, (self.take("value", "a value").value,))
        negated = token.kind == "not"
        if negated:
            self.index += 1
        self.take("in", "an operator (=, !=, <, <=, >, >=, in)")
        self.take("(", "'(' after in")
        values = [self.take("value", "a value").value]
        while self.peek().kind == ",":
            self.index += 1
            values.append(self.take("value", "a value").value)
        self.take(")", "')' or ','")
        return Compare(name, "not_in" if negated else "in", tuple(values))


def parse(text: str) -> Node:
    """The condition's tree; ConditionError when it is malformed."""
    return _Parser(text).parse()


def comparisons(node: Node) -> list[Compare]:
    if isinstance(node, Compare):
        return [node]
    if isinstance(node, Not):
        return comparisons(node.operand)
    return [item for operand in node.operands for item in comparisons(operand)]


# ---- what a condition may refer to ------------------------------------------


@dataclass(frozen=True)
class Field_:
    """A name a condition may use: a tag (its codes) or a mart metric."""

    name: str
    kind: Literal["tag", "metric"]
    type: str  # code, or a metric type (schema.MetricType)
    relation: str  # customer_profile, or the mart that shows the metric
    codes: tuple[Any, ...] | None = None  # a tag's allowed values (None: open)


ORDERED_TYPES = {*NUMERIC_TYPES, "date"}


def check_condition(node: Node, fields: dict[str, Field_]) -> list[str]:
    """Every problem of a parsed condition against the catalogue's names."""
    problems: list[str] = []
    for item in comparisons(node):
        field = fields.get(item.name)
        if field is None:
            problems.append(f"unknown tag or metric {item.name}")
            continue
        if item.op in ("<", "<=", ">", ">=") and field.type not in ORDERED_TYPES:
            problems.append(
                f"{item.op} needs a number or a date, {item.name} is a {field.kind}"
                f" of type {field.type} (use =, != or in)"
            )
        for value in item.values:
            problem = _value_problem(field, value)
            if problem:
                problems.append(problem)
    return problems


def _value_problem(field: Field_, value: Any) -> str | None:
    name = field.name
    if field.type == "boolean":
        if not isinstance(value, bool):
            return f"{name} is true or false, not {value!r}"
        return None
    if isinstance(value, bool):
        return f"{name} is a {field.type}, not {str(value).lower()}"
    if field.type in NUMERIC_TYPES:
        if not isinstance(value, (int, Decimal)):
            return f"{name} is a number, not the text {value!r}"
        if field.type == "integer" and field.kind == "tag" and not _whole(value):
            return f"{name} takes whole numbers, not {value}"
    elif field.type == "date":
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return f"{name} is a date: compare it with 'YYYY-MM-DD', not {value!r}"
    elif not isinstance(value, str):
        return f"{name} is text: quote the value ('{value}')"
    if field.codes is not None and value not in field.codes:
        shown = ", ".join(str(code) for code in field.codes)
        return f"{value!r} is not a value of tag {name} ({shown})"
    return None


def _whole(value: int | Decimal) -> bool:
    return isinstance(value, int) or value == value.to_integral_value()


# ---- SQL --------------------------------------------------------------------


def sql_value(field: Field_, value: Any) -> str:
    """A checked value as a SQL literal of the field's type (text quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(int(value)) if field.kind == "tag" else str(value)
    quoted = "'" + str(value).replace("'", "''") + "'"
    return f"cast({quoted} as date)" if field.type == "date" else quoted


def compile_sql(node: Node, fields: dict[str, Field_], indent: str = "") -> str:
    """The condition as a SQL boolean over `<relation>.<column>` (checked first),
    one comparison a line (and/or groups in parentheses, indented)."""
    if isinstance(node, BoolOp):
        inner = indent + "    "
        parts = [compile_sql(item, fields, inner) for item in node.operands]
        joined = f"\n{inner}{node.op} ".join(parts)
        return f"(\n{inner}{joined}\n{indent})"
    if isinstance(node, Not):
        return f"not {compile_sql(node.operand, fields, indent)}"
    field = fields[node.name]
    column = f"{field.relation}.{field.name}"
    values = [sql_value(field, value) for value in node.values]
    if node.op in ("in", "not_in"):
        keyword = "in" if node.op == "in" else "not in"
        test = f"{column} {keyword} ({', '.join(values)})"
    else:
        test = f"{column} {node.op} {values[0]}"
    # a missing value never matches, and `not` of it does (two-valued logic)
    return f"coalesce({test}, false)"


def evaluate(node: Node, row: dict[str, Any]) -> bool:
    """The condition on one customer's values (Python mirror of compile_sql)."""
    if isinstance(node, BoolOp):
        results = (evaluate(item, row) for item in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not evaluate(node.operand, row)
    value = row.get(node.name)
    if value is None:
        return False
    if node.op == "in":
        return value in node.values
    if node.op == "not_in":
        return value not in node.values
    right = node.values[0]
    return {
        "=": value == right,
        "!=": value != right,
        "<": value < right,
        "<=": value <= right,
        ">": value > right,
        ">=": value >= right,
    }[node.op]


def is_holdout(audience: str, customer_id: str, share: Decimal | float) -> bool:
    """Spec section 6: int(first 8 hex of md5(name || ':' || id), 16) < h * 2^32."""
    digest = hashlib.md5(f"{audience}:{customer_id}".encode()).hexdigest()
    return int(digest[:8], 16) < Decimal(str(share)) * HOLDOUT_SCALE


# ---- the file -----------------------------------------------------------------


def load_audiences(
    root: Path, fields: dict[str, Field_], problems: list[str]
) -> list[Audience]:
    """The audiences of catalogue/audiences.yml (none when it does not exist),
    each problem named by the file, the audience and the field."""
    path = root / AUDIENCES_FILE
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        problems.append(f"{AUDIENCES_FILE}: not readable YAML ({error})")
        return []
    raw = data.get("audiences") if isinstance(data, dict) else None
    if not isinstance(raw, list) or set(data) - {"audiences"}:
        problems.append(f"{AUDIENCES_FILE}: expected a mapping with a list `audiences`")
        return []
    audiences: list[Audience] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        name = item.get("name") if isinstance(item, dict) else None
        where = f"{AUDIENCES_FILE}: audience {name or f'[{index}]'}"
        try:
            audience = Audience.model_validate(item)
        except ValidationError as error:
            for detail in error.errors():
                loc = ".".join(str(part) for part in detail["loc"]) or "entry"
                problems.append(f"{where}: {loc}: {detail['msg']}")
            continue
        if audience.name in RESERVED:
            problems.append(
                f"{where}: name: {audience.name} is a column of customer_audiences;"
                " choose another name"
            )
        if audience.name in seen:
            problems.append(f"{where}: name: two audiences are called {audience.name}")
        seen.add(audience.name)
        problems.extend(
            f"{where}: condition: {problem}"
            for problem in condition_problems(audience.condition, fields)
        )
        audiences.append(audience)
    priorities: dict[tuple[str, int], str] = {}
    for audience in audiences:
        if audience.exclusive_group is None or audience.status != "active":
            continue
        key = (audience.exclusive_group, audience.priority or 0)
        if key in priorities:
            problems.append(
                f"{AUDIENCES_FILE}: audience {audience.name}: priority:"
                f" {audience.priority} is also {priorities[key]}'s in group"
                f" {audience.exclusive_group} (a priority list needs distinct numbers)"
            )
        priorities[key] = audience.name
    return audiences


def condition_problems(text: str, fields: dict[str, Field_]) -> list[str]:
    try:
        node = parse(text)
    except ConditionError as error:
        return [f"malformed: {error}"]
    return check_condition(node, fields)


def condition_error(name: str, text: str, fields: dict[str, Field_]) -> str | None:
    """The message a bad condition gets, the same at build and in the preview."""
    problems = condition_problems(text, fields)
    if not problems:
        return None
    return f"audience {name}: condition: " + "; ".join(problems)
