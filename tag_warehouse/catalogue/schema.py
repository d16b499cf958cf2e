"""The typed shape of the tag catalogue (catalogue/metrics.yml, catalogue/tags/*.yml).

Pydantic checks each file's shape (field names, types, allowed operators);
tag_warehouse.catalogue.load then checks what refers to what across files. Nothing
here is pasted into SQL unchecked: names are identifiers, operators come from a
fixed list, literal values are typed and quoted by the compiler."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,62}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
# Literal values of a filter or guard: text codes, numbers, booleans.
Literal_ = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_ .:/-]{0,100}$")]
Value = bool | int | Decimal | Literal_

Source = Literal["customers", "orders", "promotions", "service_interactions"]
Status = Literal["draft", "active", "deprecated"]
Cadence = Literal["daily", "weekly", "monthly"]
Comparison = Literal["=", "!=", "<", "<=", ">", ">="]
BandOp = Literal["=", "<", "<=", ">", ">="]
# number: a double-precision float (shares, means, model outputs); decimal: an
# exact amount (decimal(38, 4)); the type is also the column's contract data_type.
MetricType = Literal["integer", "number", "decimal", "text", "date", "boolean"]
NUMERIC_TYPES = ("integer", "number", "decimal")
# Columns each declared-metric source offers to filters and aggregates.
SOURCE_COLUMNS: dict[str, dict[str, str]] = {
    "orders": {
        "order_id": "text",
        "product_category": "text",
        "promotion_id": "text",
        "amount": "decimal",
        "cost": "decimal",
        "order_date": "date",
    },
    "service_interactions": {
        "interaction_id": "text",
        "channel": "text",
        "interaction_type": "text",
        "satisfaction": "integer",
        "occurred_date": "date",
    },
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labels(Strict):
    zh: Text
    en: Text


class VarRef(Strict):
    var: Identifier


class VarDecl(Strict):
    """A threshold var a catalogue file adds (written into dbt_project.yml)."""

    name: Identifier
    default: int | Decimal
    unit: Text
    min: int | Decimal
    max: int | Decimal
    description: Text


class HandwrittenMetric(Strict):
    name: Identifier
    source: Source | list[Source]
    model: Identifier
    column: Identifier | None = None
    type: MetricType
    description: Text
    not_null: bool = False
    min: int | Decimal | None = None
    max: int | Decimal | Identifier | None = None
    python_model: bool = False
    output_of: Text | None = None

    @property
    def sources(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)

    @property
    def kind(self) -> str:
        return "model" if self.output_of else "handwritten"

    @property
    def value_type(self) -> str:
        return self.type


class Filter(Strict):
    column: Identifier
    op: Literal[
        "=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "is_not_null"
    ]
    value: Value | list[Value] | None = None


class DeclaredMetric(Strict):
    name: Identifier
    description: Text
    source: Literal["orders", "service_interactions"]
    aggregate: Literal[
        "count",
        "count_distinct",
        "sum",
        "mean",
        "min",
        "max",
        "first",
        "last",
        "most_frequent",
    ]
    column: Identifier | None = None
    filter: list[Filter] = []
    window_days: VarRef | int | Literal["all"] = "all"
    # most_frequent: ties go to the value first in this order (alphabetical default)
    tie_break: Literal["alphabetical", "latest"] = "alphabetical"
    type: MetricType | None = None
    min: int | Decimal | None = None
    max: int | Decimal | None = None

    @property
    def sources(self) -> list[str]:
        return [self.source]

    @property
    def kind(self) -> str:
        return "declared"

    @property
    def inferred_type(self) -> str:
        """What the aggregate gives: integer for counts, number (a double) for means,
        else the column's type (SOURCE_COLUMNS)."""
        if self.aggregate in ("count", "count_distinct"):
            return "integer"
        if self.aggregate == "mean":
            return "number"
        return SOURCE_COLUMNS[self.source].get(self.column or "", "text")

    @property
    def value_type(self) -> str:
        """The declared type, else the inferred one."""
        return self.type if self.type is not None else self.inferred_type

    @property
    def model(self) -> str:
        return f"int_customers_{self.source}_aggregated"

    @property
    def not_null(self) -> bool:
        return self.aggregate in ("count", "count_distinct", "sum")


class MetricsFile(Strict):
    handwritten: list[HandwrittenMetric] = []
    declared: list[DeclaredMetric] = []


class Condition(Strict):
    metric: Identifier
    op: Comparison
    value: Value | None = None
    var: Identifier | None = None


class Guard(Strict):
    if_: Condition = Field(alias="if")
    code: Code | int
    reason: Labels | None = None


class Rung(Strict):
    op: BandOp
    threshold: VarRef | int | Decimal
    code: Code | int


class Bands(Strict):
    """Ordered bands over a metric (or a tag of the same mart): guards first, then
    the null code, then the first matching rung, else `otherwise`. With `per`, a
    rung compares metric with threshold x per (an exact ratio test)."""

    metric: Identifier | None = None
    tag: Identifier | None = None
    per: Identifier | None = None
    shown: Identifier | None = None
    guards: list[Guard] = []
    when_null: Code | int | None = None
    rungs: list[Rung] = Field(min_length=1)
    otherwise: Code | int


class Category(Strict):
    """A categorical metric's value is the code. `shows`: further metrics the
    reasons may name as `{metric}` placeholders (they become mart columns), and a
    value may carry its own reason (Value_.reason)."""

    metric: Identifier
    when_null: Code | None = None
    shows: list[Identifier] = []


class Sum(Strict):
    tags: list[Identifier] = Field(min_length=2)


class Rule(Strict):
    bands: Bands | None = None
    model_output: Bands | None = None
    category: Category | None = None
    sum: Sum | None = None


class Value_(Strict):
    code: Code | int
    zh: Text
    en: Text
    # the reason of this value (category rules only), else the tag's reason
    reason: Labels | None = None


class ExpectedOutcome(Strict):
    """The order a tag's values should rank in on an outcome measured by the
    backtest (marts.tag_outcome_backtest) in the days after the tags were
    computed, highest first: e.g. active > at_risk > churned in repurchase_share.
    The test outcome_order_as_expected warns when the data contradicts it."""

    measure: Literal["repurchase_share", "mean_spend"]
    order: list[Code | int] = Field(min_length=2)


class Tag(Strict):
    name: Identifier
    status: Status
    source: Source | list[Source]
    owner: Text | None = None
    cadence: Cadence | None = None
    label: Labels
    summary: Text
    rule: Rule
    values: list[Value_] = Field(min_length=1)
    open_values: Text | None = None
    reason: Labels
    null_reason: Labels | None = None
    expected_outcome: ExpectedOutcome | None = None

    @property
    def sources(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)

    @model_validator(mode="after")
    def _expected_order_names_own_values(self) -> Tag:
        """An expected order lists distinct codes of the tag's own values."""
        if self.expected_outcome is None:
            return self
        codes = {str(value.code) for value in self.values}
        order = [str(code) for code in self.expected_outcome.order]
        unknown = [code for code in order if code not in codes]
        if unknown:
            raise PydanticCustomError(
                "expected_outcome",
                "expected_outcome.order: {unknown} not among the tag's values"
                " ({codes})",
                {"unknown": ", ".join(unknown), "codes": ", ".join(sorted(codes))},
            )
        if len(set(order)) != len(order):
            raise PydanticCustomError(
                "expected_outcome", "expected_outcome.order: a value is listed twice"
            )
        return self


class DimensionFile(Strict):
    dimension: Identifier
    description: Text
    cadence: Cadence
    owner: Text
    columns: list[Identifier] = []
    vars: list[VarDecl] = []
    tags: list[Tag] = Field(min_length=1)
