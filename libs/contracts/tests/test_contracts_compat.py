"""The compatibility check itself: each kind of break is caught, and harmless changes pass."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from coulisse.contracts.compat import incompatibilities
from coulisse.contracts.money import Money
from coulisse.contracts.schemas import json_schema


class Address(BaseModel):
    city: str
    postal_code: str


class AddressWithoutPostalCode(BaseModel):
    city: str


class AddressWithCountry(BaseModel):
    city: str
    postal_code: str
    country: str


class AddressWithOptionalCountry(BaseModel):
    city: str
    postal_code: str
    country: str | None = None


class V1(BaseModel):
    id: str
    amount: Money
    status: Literal["open", "closed"]
    note: str | None = None
    address: Address
    lines: list[Address]


def schema(**overrides: Any) -> dict[str, Any]:
    """The schema of V1 with some fields redefined: how a model edit would change it."""
    fields: dict[str, Any] = {
        "id": (str, ...),
        "amount": (Money, ...),
        "status": (Literal["open", "closed"], ...),
        "note": (str | None, None),
        "address": (Address, ...),
        "lines": (list[Address], ...),
    }
    fields.update(overrides)
    fields = {name: spec for name, spec in fields.items() if spec is not None}
    return json_schema(create_model("V1", **fields))


OLD = json_schema(V1)


def test_the_same_schema_is_compatible() -> None:
    assert schema() == OLD
    assert incompatibilities(OLD, OLD) == []


def test_adding_an_optional_field_is_compatible() -> None:
    new = schema(comment=(str | None, None), tags=(list[str], Field(default_factory=list)))
    assert incompatibilities(OLD, new) == []


def test_adding_an_optional_field_to_a_nested_model_is_compatible() -> None:
    new = schema(address=(AddressWithOptionalCountry, ...))
    assert incompatibilities(OLD, new) == []


def test_removed_field_is_detected() -> None:
    assert incompatibilities(OLD, schema(note=None)) == ["note: field removed"]


def test_new_required_field_is_detected() -> None:
    assert incompatibilities(OLD, schema(currency=(str, ...))) == ["currency: new required field"]


def test_optional_field_becoming_required_is_detected() -> None:
    problems = incompatibilities(OLD, schema(note=(str, ...)))
    assert "note: optional field became required" in problems


def test_required_field_becoming_optional_is_detected() -> None:
    problems = incompatibilities(OLD, schema(id=(str | None, None)))
    assert "id: required field became optional" in problems


def test_changed_type_is_detected() -> None:
    assert incompatibilities(OLD, schema(id=(int, ...))) == [
        "id: type changed from string to integer"
    ]
    assert incompatibilities(OLD, schema(note=(int | None, None))) == [
        "note: type changed from null | string to integer | null"
    ]


def test_money_becoming_a_number_is_detected() -> None:
    problems = incompatibilities(OLD, schema(amount=(float, ...)))
    assert problems == ["amount: type changed from string to number"]


def test_changed_format_is_a_changed_type() -> None:
    dated = schema(when=(date, ...))
    problems = incompatibilities(dated, schema(when=(datetime, ...)))
    assert problems == ["when: type changed from string:date to string:date-time"]


def test_removed_enum_value_is_detected() -> None:
    problems = incompatibilities(OLD, schema(status=(Literal["open"], ...)))
    assert problems == ['status: enum value "closed" removed']


def test_added_enum_value_is_detected() -> None:
    problems = incompatibilities(OLD, schema(status=(Literal["open", "closed", "void"], ...)))
    assert problems == ['status: enum value "void" added (readers of this version refuse it)']


def test_changed_pattern_is_detected() -> None:
    patterned = schema(id=(str, Field(pattern=r"^C[0-9]{6}$")))
    assert incompatibilities(OLD, patterned) == ["id: pattern changed from None to ^C[0-9]{6}$"]
    repatterned = schema(id=(str, Field(pattern=r"^C[0-9]{7}$")))
    assert incompatibilities(patterned, repatterned) == [
        "id: pattern changed from ^C[0-9]{6}$ to ^C[0-9]{7}$"
    ]


def test_changed_bound_is_detected() -> None:
    bounded = schema(lines=(list[Address], Field(min_length=1)))
    assert incompatibilities(OLD, bounded) == ["lines: minItems changed from None to 1"]


def test_changes_inside_nested_models_are_found_through_refs() -> None:
    assert "$defs" in OLD
    new = schema(address=(AddressWithoutPostalCode, ...), lines=(list[AddressWithCountry], ...))
    assert sorted(incompatibilities(OLD, new)) == [
        "address.postal_code: field removed",
        "lines[].country: new required field",
    ]


def test_a_nested_model_replaced_by_a_string_is_detected() -> None:
    assert incompatibilities(OLD, schema(address=(str, ...))) == [
        "address: type changed from object to string"
    ]


def test_titles_descriptions_and_defaults_do_not_matter() -> None:
    renamed = json_schema(V1)
    renamed["title"] = "Renamed"
    renamed["description"] = "Another text"
    renamed["properties"]["note"]["default"] = "n/a"
    renamed["$defs"]["Address"]["title"] = "PostalAddress"
    assert incompatibilities(OLD, renamed) == []


def test_every_problem_is_reported_not_only_the_first() -> None:
    new = schema(id=(int, ...), note=None, status=(Literal["open"], ...), extra=(str, ...))
    assert len(incompatibilities(OLD, new)) == 4
