"""Gapless counters on PostgreSQL: concurrent callers wait in turn, rollbacks leave no gap."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date

import pytest
import sqlalchemy as sa

from coulisse.platform.counters import advance, next_row, next_value
from coulisse.platform.db import create_engine, session_factory

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
# Series per journal and year, as the gateway numbers its entries.
numbers = sa.Table(
    "numbers",
    metadata,
    sa.Column("journal", sa.String(6), primary_key=True),
    sa.Column("year", sa.Integer(), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)
taken = sa.Table(
    "taken",
    metadata,
    sa.Column("journal", sa.String(6)),
    sa.Column("year", sa.Integer()),
    sa.Column("number", sa.Integer()),
)
SERIES = [("VT", 2026), ("BQ", 2026)]
# Series that keep their last date, as billing's numbering does.
dated = sa.Table(
    "dated",
    metadata,
    sa.Column("series", sa.String(5), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
    sa.Column("last_date", sa.Date(), nullable=True),
)


async def test_concurrent_callers_get_every_number_once_and_rollbacks_leave_no_gap(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    engine = create_engine(await make_database(), pool_size=20)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        sessions = session_factory(engine)

        async def take(index: int) -> None:
            async with sessions() as session:
                # Several series at once, in an order that differs between callers.
                order = SERIES[::-1] if index % 2 else SERIES
                last = await advance(session, numbers, {series: 1 for series in order})
                await session.execute(
                    sa.insert(taken),
                    [{"journal": j, "year": y, "number": v} for (j, y), v in last.items()],
                )
                await asyncio.sleep(0.01)  # hold the lock while others queue
                if index % 5 == 0:
                    await session.rollback()
                else:
                    await session.commit()

        # Every series is new: the first inserts race each other too.
        await asyncio.gather(*(take(i) for i in range(40)))
        async with sessions() as session:
            rows = (await session.execute(sa.select(taken))).all()
            for journal, year in SERIES:
                got = sorted(r.number for r in rows if (r.journal, r.year) == (journal, year))
                assert got == list(range(1, 33))
                assert await next_value(session, numbers, (journal, year)) == 33
    finally:
        await engine.dispose()


async def test_a_counter_keeps_its_latest_date_in_the_statement_that_advances_it(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    engine = create_engine(await make_database())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            taken = [
                await next_row(session, dated, "F", keep_latest={"last_date": day})
                for day in (date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 2))
            ]
        assert [(r.value, r.last_date) for r in taken] == [
            (1, date(2026, 3, 1)),
            (2, date(2026, 3, 5)),
            (3, date(2026, 3, 5)),
        ]
    finally:
        await engine.dispose()
