"""What a money column refuses to store, whatever the database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from coulisse.platform.types import MoneyType

DIALECTS: list[Dialect] = [sqlite.dialect(), postgresql.dialect()]  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0.3, TypeError),
        (True, TypeError),
        ("0.30", TypeError),
        (Decimal("0.001"), ValueError),
        (Decimal("NaN"), ValueError),
    ],
)
def test_floats_strings_and_fractions_of_a_cent_are_refused(
    dialect: Dialect, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        MoneyType().process_bind_param(value, dialect)


def test_sqlite_stores_integer_cents_and_postgresql_a_decimal() -> None:
    lite, pg = DIALECTS
    assert MoneyType().process_bind_param(Decimal("9999999999999.99"), lite) == 999999999999999
    assert MoneyType().process_bind_param(Decimal("-0.10"), lite) == -10
    assert MoneyType().process_bind_param(12, lite) == 1200
    assert MoneyType().process_bind_param(Decimal("0.3"), pg) == Decimal("0.30")
    assert str(MoneyType().process_result_value(5, lite)) == "0.05"
    with pytest.raises(TypeError):
        MoneyType().process_result_value(0.3, pg)


def test_the_column_is_numeric_with_two_decimals_on_postgresql() -> None:
    lite, pg = DIALECTS
    assert str(MoneyType().compile(dialect=pg)) == "NUMERIC(15, 2)"
    assert str(MoneyType(precision=18).compile(dialect=pg)) == "NUMERIC(18, 2)"
    assert str(MoneyType().compile(dialect=lite)) == "BIGINT"
    with pytest.raises(ValueError):
        MoneyType(scale=3)
