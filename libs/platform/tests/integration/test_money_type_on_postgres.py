"""Money columns are exact on SQLite and PostgreSQL: no amount passes through a binary float."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from coulisse.platform.db import create_engine
from coulisse.platform.types import MoneyType

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
amounts = sa.Table(
    "amounts",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("amount", MoneyType(), nullable=False),
)

# 0.1 + 0.2 is 0.30000000000000004 in binary floats; the largest amount the contracts carry
# needs all 15 digits of NUMERIC(15, 2), more than a double's exact integer range in cents.
AMOUNTS = [
    Decimal("0.10"),
    Decimal("0.20"),
    Decimal("9999999999999.99"),
    Decimal("-9999999999999.99"),
    Decimal("0.01"),
    Decimal("0.00"),
    Decimal("1234567890123.45"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'money.sqlite'}"
    url: str = await request.getfixturevalue("make_database")()
    return url


async def test_amounts_round_trip_and_add_up_exactly(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(
                sa.insert(amounts), [{"id": i, "amount": a} for i, a in enumerate(AMOUNTS)]
            )
        async with engine.connect() as conn:
            read = (await conn.execute(sa.select(amounts.c.amount).order_by(amounts.c.id))).all()
            assert [row.amount for row in read] == AMOUNTS
            assert all(type(row.amount) is Decimal for row in read)
            assert [str(row.amount) for row in read] == [str(a) for a in AMOUNTS]
            # Sums and comparisons happen in the database, on exact values too.
            tenth_and_fifth = await conn.scalar(
                sa.select(sa.func.sum(amounts.c.amount)).where(amounts.c.id.in_([0, 1]))
            )
            assert tenth_and_fifth == Decimal("0.30") and str(tenth_and_fifth) == "0.30"
            total = sa.func.sum(amounts.c.amount)
            exact = await conn.scalar(
                sa.select(sa.func.count())
                .where(amounts.c.id.in_([0, 1]))
                .having(total == Decimal("0.30"))
            )
            assert exact == 2
            assert (
                await conn.scalar(
                    sa.select(sa.func.count()).where(
                        amounts.c.amount == Decimal("9999999999999.99")
                    )
                )
                == 1
            )
            largest = await conn.scalar(sa.select(sa.func.max(amounts.c.amount)))
            assert str(largest) == "9999999999999.99"
    finally:
        await engine.dispose()
