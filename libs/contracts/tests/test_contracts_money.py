from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from coulisse.contracts.money import (
    Currency,
    DecimalString,
    Instant,
    Money,
    format_money,
    round_money,
)


class Priced(BaseModel):
    amount: Money
    currency: Currency = "EUR"


class Measured(BaseModel):
    quantity: DecimalString


class Stamped(BaseModel):
    at: Instant


@pytest.mark.parametrize("value", [12.5, 12.0, 12, True, None, Decimal("NaN"), Decimal("Infinity")])
def test_money_refuses_numbers_and_non_finite_values(value: object) -> None:
    with pytest.raises(ValidationError):
        Priced.model_validate({"amount": value})


@pytest.mark.parametrize(
    "value", ["12.345", "12.", ".5", "1e3", "+1.00", " 1.00", "", "12,50", "abc", "1" * 14]
)
def test_money_refuses_malformed_strings(value: str) -> None:
    with pytest.raises(ValidationError):
        Priced.model_validate({"amount": value})


def test_money_refuses_a_decimal_with_a_fraction_of_a_cent() -> None:
    with pytest.raises(ValidationError):
        Priced(amount=Decimal("0.005"))
    with pytest.raises(ValidationError):
        Priced(amount=Decimal("1e20"))


@pytest.mark.parametrize(
    ("wire", "amount", "serialized"),
    [
        ("12", Decimal("12.00"), "12.00"),
        ("12.5", Decimal("12.50"), "12.50"),
        ("120.00", Decimal("120.00"), "120.00"),
        ("-3.10", Decimal("-3.10"), "-3.10"),
        ("0", Decimal("0.00"), "0.00"),
        ("-0.00", Decimal("0.00"), "0.00"),
    ],
)
def test_money_reads_strings_and_writes_two_decimals(
    wire: str, amount: Decimal, serialized: str
) -> None:
    priced = Priced.model_validate_json(f'{{"amount": "{wire}"}}')
    assert isinstance(priced.amount, Decimal)
    assert priced.amount == amount
    assert priced.model_dump(mode="json")["amount"] == serialized
    assert priced.model_dump()["amount"] == amount


def test_money_accepts_a_decimal_exact_to_the_cent() -> None:
    assert Priced(amount=Decimal("7.100")).model_dump_json() == '{"amount":"7.10","currency":"EUR"}'


def test_money_json_is_a_string_never_a_number() -> None:
    assert Priced.model_validate({"amount": "1.5"}).model_dump_json() == (
        '{"amount":"1.50","currency":"EUR"}'
    )
    with pytest.raises(ValidationError):
        Priced.model_validate_json('{"amount": 1.5}')


def test_round_money_rounds_half_up_to_the_cent() -> None:
    assert round_money(Decimal("0.125")) == Decimal("0.13")
    assert round_money(Decimal("0.135")) == Decimal("0.14")
    assert round_money(Decimal("-0.125")) == Decimal("-0.13")
    assert format_money(Decimal("2.5")) == "2.50"
    assert format_money(Decimal("-0.001")) == "0.00"


@pytest.mark.parametrize("code", ["eur", "EURO", "E1R", ""])
def test_currency_is_three_upper_case_letters(code: str) -> None:
    with pytest.raises(ValidationError):
        Priced(amount=Decimal(1), currency=code)


def test_decimal_string_keeps_its_digits_and_refuses_floats() -> None:
    measured = Measured.model_validate({"quantity": "20.0"})
    assert measured.quantity == Decimal("20.0")
    assert measured.model_dump(mode="json") == {"quantity": "20.0"}
    for bad in (20.0, 20, "1e2", "0.1234567", Decimal("NaN")):
        with pytest.raises(ValidationError):
            Measured.model_validate({"quantity": bad})


def test_instants_need_an_offset_and_are_kept_in_utc() -> None:
    paris = timezone(timedelta(hours=2))
    stamped = Stamped(at=datetime(2026, 5, 4, 12, 0, tzinfo=paris))
    assert stamped.at == datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert stamped.at.tzinfo is UTC
    assert stamped.model_dump(mode="json") == {"at": "2026-05-04T10:00:00Z"}
    with pytest.raises(ValidationError):
        Stamped.model_validate({"at": "2026-05-04T10:00:00"})
