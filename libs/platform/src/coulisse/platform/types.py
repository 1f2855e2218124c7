"""Column types shared by the services' tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from coulisse.contracts.money import CENT

SQLITE = "sqlite"


class MoneyType(TypeDecorator[Decimal]):
    """An amount of money: a Decimal in and out, never a float, exact on every database.

    PostgreSQL: NUMERIC(precision, 2), read as Decimal. SQLite: integer cents, because its
    NUMERIC stores binary floats. The default precision holds the contracts' amounts (below
    10^13, two decimals).
    """

    impl = sa.Numeric(15, 2)
    cache_ok = True

    def __init__(self, precision: int = 15, scale: int = 2) -> None:
        if scale != 2:
            raise ValueError("money has exactly two decimals")
        super().__init__(precision=precision, scale=scale)
        self.precision = precision  # part of the type's cache key

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == SQLITE:
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(self.precision, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"money is a Decimal, not {type(value).__name__}: {value!r}")
        amount = Decimal(value)
        if not amount.is_finite() or amount != amount.quantize(CENT):
            raise ValueError(f"{value} is not an amount in cents")
        if dialect.name == SQLITE:
            return int(amount.scaleb(2))
        return amount.quantize(CENT)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):
            # A binary float has already lost the cents: refuse it rather than guess.
            raise TypeError(f"a money column gave a float ({value!r})")
        if dialect.name == SQLITE:
            return Decimal(int(value)).scaleb(-2)
        return Decimal(value).quantize(CENT)


class PercentType(MoneyType):
    """A rate in percent with two decimals, as central banks and official journals publish them
    (2.15, 12.15): stored exactly like money, never as a binary float."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(precision=7)
